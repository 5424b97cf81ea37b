//! A download's `Range` header against any file size. Nothing may panic, and a part to
//! send lies inside the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lifeline_protocol::range::{plan, RangePlan};

fuzz_target!(|input: (u64, &str)| {
    let (size, header) = input;
    match plan(Some(header), size) {
        RangePlan::Part { first, last } => {
            assert!(first <= last && last < size, "{header:?} on {size}: {first}-{last}");
        }
        RangePlan::Unsatisfiable => assert!(!header.trim().is_empty()),
        RangePlan::Whole => {}
    }
});
