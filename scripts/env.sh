# Shared by the scripts: one cargo target dir that outlives clones (CI clones afresh each run),
# and cargo's bin dir on PATH for the tools cargo installs.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/transfer-lab/target}"
export PATH="$HOME/.cargo/bin:$PATH"
