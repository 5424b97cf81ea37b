//! Cross-component tests: the real `lifeline-server` process, the technician client,
//! and the end user in headless Chromium driven by Playwright.

mod agent;
mod backup;
mod browser;
mod cluster;
mod cluster_presence;
mod cluster_upload;
mod https;
mod nginx;
mod restart;
mod screen;
mod upgrade;
mod windows;
