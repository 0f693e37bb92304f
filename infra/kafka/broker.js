#!/usr/bin/env node
/**
 * Starts and stops a real single-node Apache Kafka broker (KRaft, 127.0.0.1)
 * from the jars Maven resolves into .cache/lib: no tarball, no Docker.
 *
 *   node infra/kafka/broker.js start   # KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093)
 *   node infra/kafka/broker.js stop
 *
 * Also a module: the jest global setup and the outage test start brokers with it.
 * Plain Node (no TypeScript runner in the project), kept out of the app's build.
 */
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const HERE = __dirname;
const CACHE = path.join(HERE, '.cache');
const LIB = path.join(CACHE, 'lib');
const READY_LINE = 'Kafka Server started';
const READY_TIMEOUT_MS = 90_000;
// Spec: 256–512 MB suits a 2-core machine; G1 with short pauses, as Kafka's own scripts.
const JVM_FLAGS = [
  '-Xms256m',
  '-Xmx512m',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-Djava.awt.headless=true',
  `-Dlog4j2.configurationFile=${path.join(HERE, 'log4j2.properties')}`,
];

function log(msg) {
  process.stderr.write(`[kafka] ${msg}\n`);
}

/** Resolves the broker jars once; later runs reuse the cache (mvn is the slow part). */
function ensureJars() {
  const ok = fs.existsSync(LIB) && fs.readdirSync(LIB).some((f) => /^kafka_2\.13-.*\.jar$/.test(f));
  if (ok) return;
  log('resolving broker jars with Maven (first run only)…');
  const r = spawnSync(
    'mvn',
    ['-q', '-B', '-f', path.join(HERE, 'pom.xml'), 'dependency:copy-dependencies'],
    {
      stdio: 'inherit',
    },
  );
  if (r.status !== 0) throw new Error(`mvn dependency:copy-dependencies failed (exit ${r.status})`);
}

function runDir(port) {
  return path.join(CACHE, `run-${port}`);
}

function pidFile(port) {
  return path.join(runDir(port), 'broker.pid');
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A cluster id as Kafka's Uuid prints it (url-safe base64 of 16 bytes); saves a JVM start for `random-uuid`. */
function clusterId() {
  return crypto.randomBytes(16).toString('base64url');
}

function java(args, opts) {
  return spawnSync('java', ['-cp', `${LIB}/*`, ...JVM_FLAGS, ...args], opts);
}

function writeConfig(dir, port, controllerPort) {
  const logDir = path.join(dir, 'data');
  const text = fs
    .readFileSync(path.join(HERE, 'server.properties.template'), 'utf8')
    .replaceAll('@PORT@', String(port))
    .replaceAll('@CONTROLLER_PORT@', String(controllerPort))
    .replaceAll('@LOG_DIR@', logDir);
  const file = path.join(dir, 'server.properties');
  fs.writeFileSync(file, text);
  return file;
}

function tail(file, n = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}

async function describeCluster(bootstrap) {
  // kafkajs from the project: the same client the relay uses must see the broker.
  const { Kafka, logLevel } = require(
    require.resolve('kafkajs', { paths: [path.join(HERE, '..', '..')] }),
  );
  const admin = new Kafka({
    clientId: 'broker-ready-check',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
  }).admin();
  try {
    await admin.connect();
    return await admin.describeCluster();
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a broker on 127.0.0.1:port and resolves once it is ready (log line,
 * pid still alive, describeCluster answers). `fresh` (default) formats a new
 * log dir; `fresh: false` restarts on the data of the previous run (outage tests).
 */
async function startBroker({ port = 9092, controllerPort = 9093, fresh = true } = {}) {
  const t0 = Date.now();
  ensureJars();
  const dir = runDir(port);
  const existing = readPid(port);
  if (existing && alive(existing))
    throw new Error(
      `a broker already runs on port ${port} (pid ${existing}); run kafka:stop first`,
    );
  if (fresh) fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const config = writeConfig(dir, port, controllerPort);
  if (fresh) {
    // format refuses a formatted dir: a fresh dir per run.
    const r = java(['kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', config], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`kafka storage format failed: ${r.stderr || r.stdout}`);
  }
  const logFile = path.join(dir, 'server.log');
  const out = fs.openSync(logFile, fresh ? 'w' : 'a');
  const readFrom = fs.fstatSync(out).size;
  // Detached with its own log: the broker outlives `npm run kafka:start`.
  const child = spawn('java', ['-cp', `${LIB}/*`, ...JVM_FLAGS, 'kafka.Kafka', config], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  child.unref();
  fs.closeSync(out);
  fs.writeFileSync(pidFile(port), String(child.pid));

  const bootstrap = `127.0.0.1:${port}`;
  const deadline = t0 + READY_TIMEOUT_MS;
  for (;;) {
    if (!alive(child.pid))
      throw new Error(`the broker exited during start; last log lines:\n${tail(logFile)}`);
    const text = fs.readFileSync(logFile, 'utf8').slice(readFrom);
    if (text.includes(READY_LINE)) break;
    if (Date.now() > deadline) {
      await stopBroker({ port });
      throw new Error(
        `the broker did not start within ${READY_TIMEOUT_MS / 1000}s; last log lines:\n${tail(logFile)}`,
      );
    }
    await sleep(100);
  }
  await describeCluster(bootstrap);
  return { bootstrap, pid: child.pid, port, controllerPort, dir, startMs: Date.now() - t0 };
}

function readPid(port) {
  try {
    return Number(fs.readFileSync(pidFile(port), 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

/** Stops the broker of that port (SIGTERM: a clean shutdown; SIGKILL after the grace time). */
async function stopBroker({ port = 9092, graceMs = 20_000, removeData = false } = {}) {
  const pid = readPid(port);
  if (pid && alive(pid)) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (alive(pid) && Date.now() < deadline) await sleep(100);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    while (alive(pid)) await sleep(50);
  }
  fs.rmSync(pidFile(port), { force: true });
  if (removeData) fs.rmSync(runDir(port), { recursive: true, force: true });
  return pid;
}

module.exports = { startBroker, stopBroker, ensureJars };

if (require.main === module) {
  const port = Number(process.env.KAFKA_PORT || 9092);
  const controllerPort = Number(process.env.KAFKA_CONTROLLER_PORT || 9093);
  const cmd = process.argv[2];
  const run =
    cmd === 'start'
      ? startBroker({ port, controllerPort }).then((b) => {
          log(`started in ${(b.startMs / 1000).toFixed(1)}s (pid ${b.pid}, data ${b.dir}/data)`);
          process.stdout.write(`${b.bootstrap}\n`);
        })
      : cmd === 'stop'
        ? stopBroker({ port }).then((pid) =>
            log(pid ? `stopped pid ${pid}` : `no broker ran on port ${port}`),
          )
        : Promise.reject(new Error('usage: broker.js start|stop'));
  run.catch((err) => {
    log(err.message);
    process.exit(1);
  });
}
