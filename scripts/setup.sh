#!/usr/bin/env bash
# One-time, idempotent set-up: checks Java, builds .venv from the pinned lock file and fetches the
# JVM packages (Delta Lake, and GraphFrames where the registry serves it) into .cache/ inside the project.
# The second run only compares stamps and returns in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
PY="${PYTHON:-python3}"

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# --- Java >= 17 --------------------------------------------------------------------------------
command -v java >/dev/null 2>&1 || die "Java 17+ is required (no 'java' on PATH). Install OpenJDK 17, e.g. 'apt-get install openjdk-17-jdk'."
JAVA_MAJOR="$(java -version 2>&1 | awk -F'"' '/version/ {print $2}' | awk -F. '{print ($1 == 1) ? $2 : $1}')"
[ "${JAVA_MAJOR:-0}" -ge 17 ] || die "Java 17+ is required, found Java ${JAVA_MAJOR}. Point JAVA_HOME/PATH at a JDK 17."

# --- Python 3.11/3.12 and the virtual environment ---------------------------------------------
command -v "$PY" >/dev/null 2>&1 || die "Python 3.11 is required ('$PY' not found)."
PYV="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
case "$PYV" in 3.11|3.12) ;; *) die "Python 3.11 or 3.12 is required, found $PYV (set PYTHON=/path/to/python3.11)." ;; esac

LOCK_HASH="$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)"
STAMP=.venv/.lifecircle-lock
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$LOCK_HASH" ]; then
  say "creating .venv with $PY ($PYV) and installing pinned dependencies (first run: a few minutes)"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements.lock
  .venv/bin/python -m pip install --quiet --no-deps -e .
  echo "$LOCK_HASH" > "$STAMP"
else
  say ".venv is up to date"
fi

# --- JVM packages into .cache/jars -------------------------------------------------------------
JAR_DIR=.cache/jars
JAR_HASH="$(sha256sum jvm/pom.xml | cut -c1-16)"
if [ ! -f "$JAR_DIR/.stamp" ] || [ "$(cat "$JAR_DIR/.stamp")" != "$JAR_HASH" ]; then
  command -v mvn >/dev/null 2>&1 || die "Maven is required to fetch the Delta Lake JVM package ('mvn' not found)."
  say "fetching JVM packages from Maven Central into $JAR_DIR"
  rm -rf "$JAR_DIR"; mkdir -p "$JAR_DIR"
  # Only the Delta artifacts themselves: every other runtime dependency already ships inside PySpark.
  mvn -q -f jvm/pom.xml -Dmaven.repo.local="$ROOT/.cache/m2" dependency:copy-dependencies \
      -DincludeScope=runtime -DincludeGroupIds=io.delta \
      -DincludeArtifactIds=delta-spark_4.2_2.13,delta-storage \
      -DoutputDirectory="$ROOT/$JAR_DIR" \
    || die "could not fetch io.delta:delta-spark_4.2_2.13 from Maven Central (see the Maven output above)"
  # GraphFrames' JVM package is optional: where the registry serves it, lifecircle.social uses it;
  # otherwise the native DataFrame implementation of the same algorithms runs (see docs/architecture.md).
  if mvn -q -Dmaven.repo.local="$ROOT/.cache/m2" dependency:copy \
        -Dartifact=io.graphframes:graphframes-spark4_2.13:0.12.2 -DoutputDirectory="$ROOT/$JAR_DIR" >/dev/null 2>&1; then
    say "GraphFrames JVM package fetched"
  else
    say "note: io.graphframes:graphframes-spark4_2.13 is not served by this registry; using the native graph engine"
  fi
  echo "$JAR_HASH" > "$JAR_DIR/.stamp"
else
  say "JVM packages are cached in $JAR_DIR"
fi
ls "$JAR_DIR"/delta-spark_*.jar >/dev/null 2>&1 || die "Delta jar missing in $JAR_DIR; delete $JAR_DIR and rerun make setup"
say "ready"
