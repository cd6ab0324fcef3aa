"""What the benchmark reports share (bench/webhooks/report.py, scripts/bench_workflows.sh): the
machine they ran on, the commit they measured, and how each writes its own section of
docs/performance.md between its markers."""
import platform
import subprocess


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def memory_gib():
    """Total RAM in GiB, or None when /proc/meminfo cannot be read."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / (1024 * 1024)
    except OSError:
        pass
    return None


def git_commit():
    """HEAD's short hash, noting uncommitted changes under src/ that the build may have had."""
    try:
        commit = subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], text=True).strip()
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "src", "CMakeLists.txt"]).returncode != 0
        return commit + (" (the build also had uncommitted changes under src/)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_section(path, begin, end, section):
    """Replaces the text from `begin` to `end` in the file at `path` with `section` (which holds
    both markers), or appends it when the markers are not there yet."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        text = "# Performance\n"
    if begin in text and end in text:
        start = text.index(begin)
        stop = text.index(end) + len(end)
        if stop < len(text) and text[stop] == "\n":
            stop += 1
        text = text[:start] + section + text[stop:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w") as f:
        f.write(text)
