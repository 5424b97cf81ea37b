//! Finding an app's processes in `/proc` and summing their memory.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use lifeline_bench::server::{cpu_secs_of_pid, mem_of, Mem};

/// The app's own process and every process below it.
pub struct AppProcesses {
    pids: Vec<u32>,
}

/// Memory summed over an app's processes, in KiB.
pub struct AppMemory {
    pub pss_kib: u64,
    pub rss_kib: u64,
    /// `name (pid)` of each process counted.
    pub processes: Vec<String>,
}

/// Every process's parent, from `/proc/<pid>/stat`.
fn parents() -> anyhow::Result<HashMap<u32, u32>> {
    let mut parents = HashMap::new();
    for entry in std::fs::read_dir("/proc")? {
        let entry = entry?;
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        // A process may end while we look: skip it.
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // The name may hold spaces and parentheses; the fields after its last `)` do not.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse().ok());
        if let Some(ppid) = ppid {
            parents.insert(pid, ppid);
        }
    }
    Ok(parents)
}

fn descends_from(pid: u32, ancestor: u32, parents: &HashMap<u32, u32>) -> bool {
    let mut current = pid;
    while let Some(&parent) = parents.get(&current) {
        if parent == ancestor {
            return true;
        }
        if parent <= 1 {
            return false;
        }
        current = parent;
    }
    false
}

fn name_of(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|n| n.trim().to_owned())
        .unwrap_or_else(|_| "?".into())
}

impl AppProcesses {
    /// The processes of `bin` started (through WebKitWebDriver) by the driver `driver_pid`,
    /// with all their descendants.
    pub fn find(driver_pid: u32, bin: &Path) -> anyhow::Result<Self> {
        let bin = bin
            .canonicalize()
            .with_context(|| format!("resolving {}", bin.display()))?;
        let parents = parents()?;
        let roots: Vec<u32> = parents
            .keys()
            .copied()
            .filter(|&pid| descends_from(pid, driver_pid, &parents))
            .filter(|&pid| {
                std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == bin)
            })
            .collect();
        let mut pids: Vec<u32> = parents
            .keys()
            .copied()
            .filter(|&pid| {
                roots.contains(&pid) || roots.iter().any(|&r| descends_from(pid, r, &parents))
            })
            .collect();
        pids.sort_unstable();
        Ok(Self { pids })
    }

    pub fn is_empty(&self) -> bool {
        self.pids.is_empty()
    }

    /// User + system CPU seconds summed over the processes (those that ended since
    /// they were found count nothing).
    pub fn cpu_secs(&self) -> f64 {
        self.pids
            .iter()
            .filter_map(|&pid| cpu_secs_of_pid(pid).ok())
            .sum()
    }

    pub fn memory(&self) -> anyhow::Result<AppMemory> {
        anyhow::ensure!(!self.pids.is_empty(), "the app has no running process");
        let mut total = AppMemory {
            pss_kib: 0,
            rss_kib: 0,
            processes: Vec::new(),
        };
        for &pid in &self.pids {
            let Mem {
                pss_kib, rss_kib, ..
            } = mem_of(pid)?;
            total.pss_kib += pss_kib;
            total.rss_kib += rss_kib;
            // Each process's share, so a difference between the apps shows where it is.
            total.processes.push(format!(
                "{} ({pid}): PSS {:.1} MiB",
                name_of(pid),
                lifeline_bench::mib(pss_kib)
            ));
        }
        Ok(total)
    }
}
