//! What the experiment runners share: flags, statistics and the JSON they write.
#![allow(dead_code)]

/// The value after `name` on the command line, or `default`.
pub fn arg(name: &str, default: &str) -> String {
    std::env::args().skip_while(|a| a != name).nth(1).unwrap_or_else(|| default.to_string())
}

/// Mean and sample standard deviation.
pub fn mean_std(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, var.sqrt())
}

/// Writes `value` as pretty JSON to `path`, creating its folder.
pub fn write_json(path: &str, value: &serde_json::Value) {
    if let Some(dir) = std::path::Path::new(path).parent() {
        std::fs::create_dir_all(dir).expect("create the output folder");
    }
    std::fs::write(path, serde_json::to_string_pretty(value).expect("JSON")).expect("write the table");
    println!("wrote {path}");
}
