# Sourced by bin/relay and bin/relayctl (like ZooKeeper's zkEnv.sh): finds Java, the
# configuration and the logging configuration. Works from any directory; follows symlinks.
#
# Environment:
#   JAVA_HOME     the Java 17+ installation to use (else the first java on PATH)
#   JAVA_OPTS     extra JVM options, e.g. JAVA_OPTS="-Xmx1g" (added after RELAY_JAVA_OPTS: a later -Xmx wins)
#   RELAY_JAVA_OPTS  bin/relay's memory options (default "-Xms64m -Xmx512m -XX:MaxDirectMemorySize=256m")
#   RELAY_CONF    the configuration file (else RELAY_HOME/conf/relay.conf if it exists; -c FILE wins over both)
#   RELAY_LOGBACK the Logback configuration (else RELAY_HOME/conf/logback.xml)

if [ -n "${JAVA_HOME:-}" ]; then
  JAVA="$JAVA_HOME/bin/java"
  if [ ! -x "$JAVA" ]; then
    echo "$RELAY_PROG: JAVA_HOME is $JAVA_HOME, but $JAVA is not there (set JAVA_HOME to a Java 17 or newer installation)" >&2
    exit 1
  fi
else
  JAVA=$(command -v java 2>/dev/null || true)
  if [ -z "$JAVA" ]; then
    echo "$RELAY_PROG: no java found (install Java 17 or newer, or set JAVA_HOME)" >&2
    exit 1
  fi
fi

# Java 17 or newer, checked here so that an old Java gives one line and not a stack trace.
java_version=$("$JAVA" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\)[."].*/\1/p' | head -n 1)
if [ -n "$java_version" ] && [ "$java_version" -lt 17 ] 2>/dev/null; then
  echo "$RELAY_PROG: $JAVA is Java $java_version; the relay needs Java 17 or newer (set JAVA_HOME)" >&2
  exit 1
fi

if [ -z "${RELAY_CONF:-}" ] && [ -f "$RELAY_HOME/conf/relay.conf" ]; then
  RELAY_CONF="$RELAY_HOME/conf/relay.conf"
fi
export RELAY_CONF

RELAY_CLASSPATH="$RELAY_HOME/lib/*"
