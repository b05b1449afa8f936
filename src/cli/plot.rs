//! `faultline plot RESULTS_DIR`: redraw the charts of a results directory from its CSV files.

use std::path::PathBuf;

use super::CliError;
use crate::plot;

/// Arguments of `plot`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  faultline plot results/sensor-monitoring/20250301T101500Z-dd06240f\n\n\
Reads summary.csv, timeseries.csv, delay_cdf.csv, episodes.csv, network_faults.csv,\n\
variants.csv, trace.csv and manifest.json and writes RESULTS_DIR/plots/\n\
{throughput,availability,recovery_time,cost_vs_recovery,delay_tail}.{png,svg}, and\n\
timeline_<variant>[_run<r>].{png,svg} per traced run.\n\
Charts whose input is missing or undefined (e.g. recovery time without faults) are skipped."
)]
pub struct Args {
    /// A run directory written by `faultline run` (`results/<scenario>/<run-id>`).
    pub results_dir: PathBuf,
}

/// Draws the charts and prints the path of each file written.
pub fn run(args: Args) -> Result<(), CliError> {
    if !args.results_dir.is_dir() {
        return Err(CliError::Usage(format!(
            "{} is not a directory; pass a run directory such as results/<scenario>/<run-id>",
            args.results_dir.display()
        )));
    }
    for path in plot::draw_all(&args.results_dir)? {
        println!("{}", path.display());
    }
    Ok(())
}
