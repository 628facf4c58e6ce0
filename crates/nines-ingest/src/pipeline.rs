//! The line pipeline: the calling thread reads inputs in blocks of whole lines, and workers
//! parse the blocks into their own sinks.
//!
//! Memory stays flat whatever the input size: a fixed pool of block buffers circulates between
//! the reader and the workers through bounded channels. The reader counts the lines of each
//! block before handing it on, so every worker knows the true line numbers of what it reads.

use std::cell::Cell;
use std::io::{self, Read};
use std::panic;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use memchr::{memchr, memchr_iter, memrchr};

use crate::csv::{Columns, last_record_end};
use crate::error::{IngestError, Reason};
use crate::input::{self, InputPath};
use crate::parser::{BlockParser, LineBlock, Scratch};
use crate::stats::{InputStats, Sample, Tallies, Tally};
use crate::{EventSink, ReadOptions, ReadOutcome};

/// The size of a block: big enough that handing one over costs nothing next to parsing it.
const BLOCK_SIZE: usize = 2 << 20;

/// Longer lines are reported as malformed and skipped, so one runaway line cannot take all
/// memory.
const MAX_LINE: usize = 16 << 20;

/// Whole lines of one input, as a worker receives them.
struct Block {
    input: usize,
    first_line: u64,
    data: Vec<u8>,
    /// For CSV: the columns of the input's header.
    columns: Option<Arc<Columns>>,
}

/// What the reader learned about one input.
struct ReadInput {
    label: String,
    bytes: u64,
    lines: u64,
    /// Lines the reader itself rejected (too long).
    tally: Tally,
}

/// Splits one input into blocks of whole lines (or whole CSV records).
struct BlockReader {
    source: Box<dyn Read>,
    /// Whether blocks end at CSV record ends, where a quoted line break does not count.
    csv: bool,
    /// The start of a line that the previous block cut off.
    carry: Vec<u8>,
    next_line: u64,
    bytes: u64,
    lines: u64,
    eof: bool,
}

impl BlockReader {
    fn new(source: Box<dyn Read>, csv: bool) -> BlockReader {
        BlockReader {
            source,
            csv,
            carry: Vec::new(),
            next_line: 1,
            bytes: 0,
            lines: 0,
            eof: false,
        }
    }

    /// Fills `buffer` with whole lines and returns the number of the first, or `None` at the
    /// end of the input. Over-long lines are skipped and recorded in `skipped`.
    fn next_block(&mut self, buffer: &mut Vec<u8>, skipped: &mut Tally) -> io::Result<Option<u64>> {
        buffer.clear();
        buffer.append(&mut self.carry);
        // Bytes already known to hold no line break.
        let mut searched = 0;
        let mut target = BLOCK_SIZE;
        loop {
            self.fill(buffer, target)?;
            if self.eof {
                return Ok((!buffer.is_empty()).then(|| self.count_lines(buffer)));
            }
            if let Some(last) = self.last_end(&buffer[searched..]) {
                let end = searched + last + 1;
                self.carry.extend_from_slice(&buffer[end..]);
                buffer.truncate(end);
                return Ok(Some(self.count_lines(buffer)));
            }
            if buffer.len() >= MAX_LINE {
                self.skip_long_line(buffer, skipped)?;
                buffer.append(&mut self.carry);
                (searched, target) = (0, BLOCK_SIZE);
            } else {
                // Quotes make CSV records depend on what came before, so CSV rescans.
                searched = if self.csv { 0 } else { buffer.len() };
                target = buffer.len() + BLOCK_SIZE;
            }
        }
    }

    /// Where the last line (or record) of `data` ends.
    fn last_end(&self, data: &[u8]) -> Option<usize> {
        if self.csv {
            last_record_end(data)
        } else {
            memrchr(b'\n', data)
        }
    }

    /// Reads until `buffer` holds `target` bytes or the input ends.
    fn fill(&mut self, buffer: &mut Vec<u8>, target: usize) -> io::Result<()> {
        let start = buffer.len();
        let mut len = start;
        buffer.resize(target.max(start), 0);
        let result = loop {
            if len >= buffer.len() {
                break Ok(());
            }
            match self.source.read(&mut buffer[len..]) {
                Ok(0) => {
                    self.eof = true;
                    break Ok(());
                }
                Ok(read) => len += read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => break Err(error),
            }
        };
        buffer.truncate(len);
        self.bytes += (len - start) as u64;
        result
    }

    /// Counts the lines of a block and returns the number of its first.
    fn count_lines(&mut self, block: &[u8]) -> u64 {
        let first = self.next_line;
        let mut lines = memchr_iter(b'\n', block).count() as u64;
        if !block.ends_with(b"\n") {
            lines += 1;
        }
        self.lines += lines;
        self.next_line += lines;
        first
    }

    /// Records the line that starts `buffer` as too long and reads past its end.
    fn skip_long_line(&mut self, buffer: &mut Vec<u8>, skipped: &mut Tally) -> io::Result<()> {
        // Only a CSV record (with quoted line breaks) can span lines before it is cut off.
        let spanned = memchr_iter(b'\n', buffer).count() as u64;
        let start = &buffer[..buffer.len().min(512)];
        skipped.record(
            self.next_line,
            Reason::TooLong,
            &String::from_utf8_lossy(start),
        );
        loop {
            buffer.clear();
            self.fill(buffer, BLOCK_SIZE)?;
            if let Some(end) = memchr(b'\n', buffer) {
                self.carry.extend_from_slice(&buffer[end + 1..]);
                break;
            }
            if self.eof {
                break;
            }
        }
        buffer.clear();
        buffer.shrink_to(BLOCK_SIZE);
        self.lines += spanned + 1;
        self.next_line += spanned + 1;
        Ok(())
    }
}

/// Parses blocks into one sink, keeping counts per input.
struct Worker<'p, S> {
    parser: &'p BlockParser,
    sink: S,
    scratch: Scratch,
    tallies: Tallies,
    strict: bool,
    /// In strict mode: the earliest malformed line seen, by input and line.
    error: Option<(usize, Sample)>,
    stop: &'p AtomicBool,
}

impl<'p, S: EventSink> Worker<'p, S> {
    fn new(parser: &'p BlockParser, sink: S, strict: bool, stop: &'p AtomicBool) -> Self {
        Worker {
            parser,
            sink,
            scratch: Scratch::default(),
            tallies: Tallies::default(),
            strict,
            error: None,
            stop,
        }
    }

    fn process(&mut self, block: &Block) {
        // Blocks taken after a strict run failed all come after the failing line, because
        // workers take blocks in input order; skipping them keeps the first error the first.
        if self.stop.load(Ordering::Relaxed) {
            return;
        }
        let lines = LineBlock {
            data: &block.data,
            first_line: block.first_line,
            strict: self.strict,
            columns: block.columns.as_deref(),
        };
        let tally = self.tallies.get(block.input);
        let failed = self
            .parser
            .read_block(&lines, &mut self.scratch, &mut self.sink, tally);
        if let Some(sample) = failed {
            self.stop.store(true, Ordering::Relaxed);
            keep_earliest(&mut self.error, block.input, sample);
        }
    }
}

fn keep_earliest(error: &mut Option<(usize, Sample)>, input: usize, sample: Sample) {
    let earlier = error
        .as_ref()
        .is_none_or(|(kept_input, kept)| (input, sample.line) < (*kept_input, kept.line));
    if earlier {
        *error = Some((input, sample));
    }
}

/// Where the reader sends blocks: straight into a worker, or to a pool of threads.
trait Dispatch {
    /// An empty buffer to fill; `None` when no one is left to parse it.
    fn buffer(&mut self) -> Option<Vec<u8>>;
    /// Hands a filled block over.
    fn dispatch(&mut self, block: Block);
    /// Returns a buffer that was not filled.
    fn give_back(&mut self, buffer: Vec<u8>);
}

/// Parses on the calling thread.
struct Inline<'p, S> {
    worker: Worker<'p, S>,
    spare: Option<Vec<u8>>,
}

impl<S: EventSink> Dispatch for Inline<'_, S> {
    fn buffer(&mut self) -> Option<Vec<u8>> {
        Some(self.spare.take().unwrap_or_default())
    }

    fn dispatch(&mut self, block: Block) {
        self.worker.process(&block);
        self.spare = Some(block.data);
    }

    fn give_back(&mut self, buffer: Vec<u8>) {
        self.spare = Some(buffer);
    }
}

/// Sends blocks to worker threads through a bounded queue, with a fixed number of buffers.
struct Pool<'r> {
    work: SyncSender<Block>,
    returned: &'r Receiver<Vec<u8>>,
    spare: Vec<Vec<u8>>,
    created: usize,
    limit: usize,
}

impl Dispatch for Pool<'_> {
    fn buffer(&mut self) -> Option<Vec<u8>> {
        if let Some(buffer) = self.spare.pop() {
            return Some(buffer);
        }
        if let Ok(buffer) = self.returned.try_recv() {
            return Some(buffer);
        }
        if self.created < self.limit {
            self.created += 1;
            return Some(Vec::new());
        }
        self.returned.recv().ok()
    }

    fn dispatch(&mut self, block: Block) {
        // A send fails only when every worker has died; their panic is raised on join.
        let _ = self.work.send(block);
    }

    fn give_back(&mut self, buffer: Vec<u8>) {
        self.spare.push(buffer);
    }
}

/// Reads every input into blocks and hands them to `dispatch`, until the inputs end or a
/// strict run fails (`stop` is how workers say so).
fn feed(
    inputs: &[InputPath],
    parser: &BlockParser,
    options: &ReadOptions,
    stop: &AtomicBool,
    dispatch: &mut impl Dispatch,
) -> Result<Vec<ReadInput>, IngestError> {
    let raw_bytes = Rc::new(Cell::new(0));
    let mut done = Vec::with_capacity(inputs.len());
    // The reader's own strict failure (a line too long) must not make workers skip the blocks
    // already queued, which come before it; so it stops only the reading.
    let mut failed = false;
    for (index, input) in inputs.iter().enumerate() {
        let source = input::open(input, &raw_bytes)?;
        let mut feeder = Feeder {
            input: index,
            label: input.label(),
            reader: BlockReader::new(source, matches!(parser, BlockParser::Csv(_))),
            tally: Tally::default(),
            columns: None,
        };
        while !failed && !stop.load(Ordering::Relaxed) {
            let Some(buffer) = dispatch.buffer() else {
                break;
            };
            let block = feeder.next(buffer, parser, dispatch)?;
            if let Some(progress) = &options.progress {
                progress(raw_bytes.get());
            }
            failed = options.strict && !feeder.tally.malformed.is_empty();
            match block {
                Next::Block(block) => dispatch.dispatch(block),
                Next::Nothing => {}
                Next::End => break,
            }
        }
        done.push(feeder.finish());
        if failed || stop.load(Ordering::Relaxed) {
            break;
        }
    }
    Ok(done)
}

/// What the reader found next in an input.
enum Next {
    /// A block to parse.
    Block(Block),
    /// Nothing to parse yet (the block held only a CSV header).
    Nothing,
    /// The end of the input.
    End,
}

/// The reader's side of one input.
struct Feeder {
    input: usize,
    label: String,
    reader: BlockReader,
    /// Lines the reader itself rejected (too long).
    tally: Tally,
    /// For CSV: the header's columns, once read.
    columns: Option<Arc<Columns>>,
}

impl Feeder {
    /// Fills `buffer` with the next block; a buffer left unused goes back to `dispatch`.
    fn next(
        &mut self,
        mut buffer: Vec<u8>,
        parser: &BlockParser,
        dispatch: &mut impl Dispatch,
    ) -> Result<Next, IngestError> {
        let read = self.reader.next_block(&mut buffer, &mut self.tally);
        let label = &self.label;
        let read = read.map_err(|source| IngestError::Read {
            label: label.clone(),
            source,
        })?;
        let Some(mut first_line) = read else {
            dispatch.give_back(buffer);
            return Ok(Next::End);
        };
        if let (BlockParser::Csv(csv), None) = (parser, &self.columns) {
            let (columns, next_line) = csv.take_header(label, &mut buffer, first_line)?;
            (self.columns, first_line) = (columns.map(Arc::new), next_line);
        }
        if buffer.is_empty() {
            dispatch.give_back(buffer);
            return Ok(Next::Nothing);
        }
        Ok(Next::Block(Block {
            input: self.input,
            first_line,
            data: buffer,
            columns: self.columns.clone(),
        }))
    }

    fn finish(self) -> ReadInput {
        ReadInput {
            label: self.label,
            bytes: self.reader.bytes,
            lines: self.reader.lines,
            tally: self.tally,
        }
    }
}

/// Reads inputs, on the calling thread or with worker threads.
pub(crate) fn read<S, F>(
    inputs: &[InputPath],
    parser: &BlockParser,
    options: &ReadOptions,
    make_sink: F,
) -> Result<ReadOutcome<S>, IngestError>
where
    S: EventSink,
    F: Fn() -> S + Sync,
{
    input::check_all(inputs)?;
    let workers = options.worker_count();
    let stop = AtomicBool::new(false);
    if workers <= 1 {
        let mut inline = Inline {
            worker: Worker::new(parser, make_sink(), options.strict, &stop),
            spare: None,
        };
        let read = feed(inputs, parser, options, &stop, &mut inline)?;
        let worker = inline.worker;
        let result = (worker.sink, worker.tallies, worker.error);
        return finish(read, vec![result], options.strict);
    }
    read_parallel(inputs, parser, options, make_sink, workers)
}

type WorkerResult<S> = (S, Tallies, Option<(usize, Sample)>);

fn read_parallel<S, F>(
    inputs: &[InputPath],
    parser: &BlockParser,
    options: &ReadOptions,
    make_sink: F,
    workers: usize,
) -> Result<ReadOutcome<S>, IngestError>
where
    S: EventSink,
    F: Fn() -> S + Sync,
{
    let stop = AtomicBool::new(false);
    let (work, queue) = mpsc::sync_channel::<Block>(workers);
    let queue = Arc::new(Mutex::new(queue));
    let (returns, returned) = mpsc::channel::<Vec<u8>>();
    thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let (queue, returns) = (Arc::clone(&queue), returns.clone());
                let (make_sink, stop) = (&make_sink, &stop);
                scope.spawn(move || {
                    let mut worker = Worker::new(parser, make_sink(), options.strict, stop);
                    work_on(&mut worker, &queue, &returns);
                    (worker.sink, worker.tallies, worker.error)
                })
            })
            .collect();
        // The workers hold the only queue and return handles, so a send or a receive fails,
        // rather than blocking, once they have all gone.
        drop((queue, returns));
        let mut pool = Pool {
            work,
            returned: &returned,
            spare: Vec::new(),
            created: 0,
            limit: 2 * workers + 1,
        };
        let read = feed(inputs, parser, options, &stop, &mut pool);
        drop(pool);
        let results: Vec<WorkerResult<S>> = handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| panic::resume_unwind(panic))
            })
            .collect();
        finish(read?, results, options.strict)
    })
}

/// A worker thread's loop: take a block, parse it, send the buffer back.
fn work_on<S: EventSink>(
    worker: &mut Worker<'_, S>,
    queue: &Mutex<Receiver<Block>>,
    returns: &Sender<Vec<u8>>,
) {
    loop {
        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(mut block) = next else {
            return;
        };
        worker.process(&block);
        // A buffer that held an unusually long line goes back to the usual size.
        block.data.shrink_to(2 * BLOCK_SIZE);
        let _ = returns.send(block.data);
    }
}

/// Merges what the reader and the workers counted; in strict mode, the earliest malformed line
/// is the error.
fn finish<S>(
    read: Vec<ReadInput>,
    results: Vec<WorkerResult<S>>,
    strict: bool,
) -> Result<ReadOutcome<S>, IngestError> {
    let mut tallies = Tallies::default();
    let mut error = None;
    let mut sinks = Vec::with_capacity(results.len());
    for (sink, worker_tallies, worker_error) in results {
        sinks.push(sink);
        tallies.absorb(worker_tallies);
        if let Some((input, sample)) = worker_error {
            keep_earliest(&mut error, input, sample);
        }
    }
    let mut inputs: Vec<InputStats> = Vec::with_capacity(read.len());
    for (index, input) in read.into_iter().enumerate() {
        if let Some(sample) = input.tally.samples.first().filter(|_| strict) {
            keep_earliest(&mut error, index, sample.clone());
        }
        let mut tally = std::mem::take(tallies.get(index));
        tally.absorb(input.tally);
        inputs.push(tally.into_stats(input.label, input.bytes, input.lines));
    }
    if let Some((index, sample)) = error {
        let label = inputs.get(index).map_or("-", |stats| stats.label.as_str());
        return Err(IngestError::Malformed(Box::new(
            sample.into_malformed(label),
        )));
    }
    Ok(ReadOutcome { sinks, inputs })
}
