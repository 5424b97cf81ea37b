//! The `Range` header of a download, read as RFC 9110 §14 says: a header that is not a
//! valid `bytes` range set is ignored (the whole file is sent); a valid set of which no
//! range overlaps the file is unsatisfiable (416). One range is served; a request for
//! several gets the whole file, which §14.2 allows and no download resumer needs.

/// What to send for a request's `Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangePlan {
    Whole,
    /// Bytes `first..=last`, both within the file.
    Part {
        first: u64,
        last: u64,
    },
    Unsatisfiable,
}

enum Spec {
    /// `first-` or `first-last`.
    From { first: u64, last: Option<u64> },
    /// `-length`: the last `length` bytes.
    Suffix(u64),
}

/// At most this many ranges are read; a longer list is ignored like any other list.
const MAX_RANGES: usize = 16;

pub fn plan(header: Option<&str>, size: u64) -> RangePlan {
    let Some(specs) = header.and_then(parse) else {
        return RangePlan::Whole;
    };
    let satisfiable: Vec<(u64, u64)> = specs
        .iter()
        .filter_map(|spec| match *spec {
            Spec::From { first, last } if first < size => {
                Some((first, last.unwrap_or(u64::MAX).min(size - 1)))
            }
            Spec::Suffix(length) if length > 0 && size > 0 => {
                Some((size.saturating_sub(length), size - 1))
            }
            _ => None,
        })
        .collect();
    match satisfiable.as_slice() {
        [] => RangePlan::Unsatisfiable,
        [(first, last)] if specs.len() == 1 => RangePlan::Part {
            first: *first,
            last: *last,
        },
        _ => RangePlan::Whole,
    }
}

fn parse(header: &str) -> Option<Vec<Spec>> {
    let (unit, set) = header.trim().split_once('=')?;
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return None;
    }
    let mut specs = Vec::new();
    for spec in set.split(',') {
        let spec = spec.trim();
        if spec.is_empty() {
            // Empty list elements are allowed (RFC 9110 §5.6.1) and mean nothing.
            continue;
        }
        if specs.len() == MAX_RANGES {
            return None;
        }
        let (first, last) = spec.split_once('-')?;
        specs.push(match (first, last) {
            ("", length) => Spec::Suffix(digits(length)?),
            (first, "") => Spec::From {
                first: digits(first)?,
                last: None,
            },
            (first, last) => {
                let (first, last) = (digits(first)?, digits(last)?);
                if last < first {
                    return None;
                }
                Spec::From {
                    first,
                    last: Some(last),
                }
            }
        });
    }
    (!specs.is_empty()).then_some(specs)
}

/// `1*DIGIT`, no sign, no spaces.
fn digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_range_is_served_clamped_to_the_file() {
        let part = |first, last| RangePlan::Part { first, last };
        assert_eq!(plan(Some("bytes=100-199"), 1000), part(100, 199));
        assert_eq!(plan(Some("bytes=900-"), 1000), part(900, 999));
        assert_eq!(plan(Some("bytes=900-5000"), 1000), part(900, 999));
        assert_eq!(plan(Some("bytes=-100"), 1000), part(900, 999));
        assert_eq!(
            plan(Some("bytes=-5000"), 1000),
            part(0, 999),
            "a long suffix is all"
        );
        assert_eq!(plan(Some("Bytes = 0-0"), 1000), part(0, 0));
    }

    #[test]
    fn what_cannot_be_parsed_is_ignored() {
        for header in [
            "bytes=abc",
            "pages=1-2",
            "bytes=10-5",
            "bytes=",
            "bytes=1",
            "bytes=+1-2",
            "bytes=1-2-3",
            "bytes=-",
            "bytes=99999999999999999999-",
            "bytes=1 -2",
            "",
        ] {
            assert_eq!(plan(Some(header), 1000), RangePlan::Whole, "{header:?}");
        }
        assert_eq!(plan(None, 1000), RangePlan::Whole);
        let many = format!("bytes={}", vec!["0-1"; 17].join(","));
        assert_eq!(plan(Some(&many), 1000), RangePlan::Whole);
    }

    #[test]
    fn ranges_past_the_end_are_unsatisfiable_and_lists_get_the_whole_file() {
        assert_eq!(plan(Some("bytes=1000-"), 1000), RangePlan::Unsatisfiable);
        assert_eq!(
            plan(Some("bytes=5000-6000, 7000-"), 1000),
            RangePlan::Unsatisfiable
        );
        assert_eq!(plan(Some("bytes=-0"), 1000), RangePlan::Unsatisfiable);
        assert_eq!(plan(Some("bytes=0-"), 0), RangePlan::Unsatisfiable);
        assert_eq!(plan(Some("bytes=0-1, 5-9"), 1000), RangePlan::Whole);
        assert_eq!(plan(Some("bytes=0-1, 5000-"), 1000), RangePlan::Whole);
    }
}
