//! Writers: the model back to text, as `nines/v1` (`nines convert`) or as OpenSLO v1
//! (`nines export openslo`). Both take the catalog with the named criteria its expressions
//! refer to, as [`crate::load`] gives them.

mod native;
mod openslo;
mod sources;
mod yaml;

pub use native::to_native;
pub(crate) use native::weekday as weekday_name;
pub use openslo::to_openslo;
