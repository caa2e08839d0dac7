"""Drives OUR server (over gRPC) and UPSTREAM's C++ MetadataStore (in-process) with the same
Python client code, workload by workload, and prints one JSON result per measured cell.

    python bench/mlmd_compare.py run --backend sqlite|mariadb --clients 8 --out results.json
    python bench/mlmd_compare.py prepare --backend ... --out fixture.json

`run` populates one fresh database per subject with the same data (untimed), then for each
workload measures 1 client and N clients, alternating the two subjects so machine noise hits
both alike. `prepare` builds a third database the same way with upstream's library and writes
its location and node ids, for the raw-SQL floor (bench/db_limit.ts) to read and write.

Both subjects see the same Python client (ml_metadata.MetadataStore); the only difference is
its config: MetadataStoreClientConfig (gRPC to our server) or ConnectionConfig (upstream's
library opening the database itself, one connection per store). Concurrency is N processes,
each with its own store, as mlmd_bench gives each thread its own MetadataStore.

MariaDB comes from MLMD_TEST_MARIADB_{HOST,PORT,USER,PASSWORD} (bench/run.ts starts one).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "test" / "python"))

from ml_metadata import errors  # noqa: E402
from ml_metadata.metadata_store import metadata_store  # noqa: E402
from ml_metadata.proto import metadata_store_pb2 as pb  # noqa: E402

import mlmd_server  # noqa: E402  (free_port, backend_flags, server_command)

POPULATION_ARTIFACTS = 1000
POPULATION_EXECUTIONS = 200
BATCH_IDS = 100  # ids per read request (ReadNodesByProperties, ReadEvents)
CONTEXT_FANOUT = 100  # artifacts attributed to the context read by ReadNodesViaContextEdges
CHAIN_HOPS = 10  # executions in the lineage chain: a0 -> e0 -> a1 -> ... -> a10
EVENTS_PER_PUT = 10
STRING_VALUE = "*" * 32  # mlmd_bench fills string properties with '*'

# Operations per cell (split over the clients), before BENCH_SCALE.
WORKLOADS = {
    "FillTypes": 150,
    "FillNodes(batch=1)": 300,
    "FillNodes(batch=100)": 40,
    "FillEvents(batch=10)": 200,
    "ReadNodesByProperties(ids=100)": 300,
    "ReadNodesViaContextEdges(100)": 300,
    "ReadEvents(ids=100)": 300,
    "GetLineageSubgraph(chain=21)": 200,
    "PutExecution(kubeflow)": 200,
}
# Per client and cell, untimed. mlmd_bench had none; 3 keeps the figures comparable with earlier
# runs. A larger BENCH_WARMUP_OPS measures a warm server: V8 compiles our hot paths in the
# background over the first few hundred calls, in each store thread separately.
WARMUP_OPS = int(os.environ.get("BENCH_WARMUP_OPS", "3"))
MAX_RETRIES = 50  # ABORTED / "database is locked": retried and counted, as mlmd_bench does


# ---------------------------------------------------------------------------------------------
# Stores


def upstream_config(backend: str, location: dict) -> pb.ConnectionConfig:
    config = pb.ConnectionConfig()
    if backend == "sqlite":
        config.sqlite.filename_uri = location["path"]
        config.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    else:
        m = config.mysql
        m.host, m.port, m.database = location["host"], int(location["port"]), location["database"]
        m.user, m.password = location["user"], location["password"]
    return config


def open_store(subject: dict) -> metadata_store.MetadataStore:
    if subject["kind"] == "ours":
        return metadata_store.MetadataStore(pb.MetadataStoreClientConfig(host="127.0.0.1", port=subject["port"]))
    return metadata_store.MetadataStore(upstream_config(subject["backend"], subject["location"]))


def new_location(backend: str, workdir: Path, label: str) -> dict:
    if backend == "sqlite":
        return {"path": str(workdir / f"{label}.sqlite")}
    server = mlmd_server.database_server(backend)
    return {**server, "database": f"bench_{label}_{uuid.uuid4().hex[:8]}"}


def start_our_server(backend: str, location: dict, workdir: Path) -> tuple[subprocess.Popen, int]:
    """Our server at its default settings (info-level JSON log, as deployed), on `location`."""
    if backend == "sqlite":
        flags = [f"--sqlite_path={location['path']}"]
    else:
        flags = [
            f"--mysql_config_host={location['host']}",
            f"--mysql_config_port={location['port']}",
            f"--mysql_config_database={location['database']}",
            f"--mysql_config_user={location['user']}",
            f"--mysql_config_password={location['password']}",
        ]
    port = mlmd_server.free_port()
    log = open(workdir / "our_server.log", "wb")
    process = subprocess.Popen(
        [*mlmd_server.server_command(), f"--grpc_port={port}", "--metrics_port=0", *flags],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    import socket

    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"our server exited at start-up; see {workdir / 'our_server.log'}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, port
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("our server did not open its port within 60 s")
            time.sleep(0.1)


# ---------------------------------------------------------------------------------------------
# Population (untimed; identical for every subject)


def artifact_properties(node, i: int) -> None:
    for name in ("p0", "p1", "p2"):
        node.properties[name].string_value = STRING_VALUE
    node.properties["n"].int_value = i
    node.properties["x"].double_value = i / 7
    node.custom_properties["note"].string_value = STRING_VALUE


def new_artifact(type_id: int, tag: str) -> pb.Artifact:
    a = pb.Artifact(type_id=type_id, uri=f"/bench/{tag}", state=pb.Artifact.LIVE)
    artifact_properties(a, len(tag))
    return a


def populate(store: metadata_store.MetadataStore) -> dict:
    at = pb.ArtifactType(name="bench.Artifact")
    for name in ("p0", "p1", "p2"):
        at.properties[name] = pb.STRING
    at.properties["n"] = pb.INT
    at.properties["x"] = pb.DOUBLE
    artifact_type = store.put_artifact_type(at)
    et = pb.ExecutionType(name="bench.Execution")
    et.properties["p0"] = pb.STRING
    et.properties["n"] = pb.INT
    execution_type = store.put_execution_type(et)
    pipeline_type = store.put_context_type(pb.ContextType(name="bench.Pipeline"))
    run_type = store.put_context_type(pb.ContextType(name="bench.PipelineRun"))

    artifacts: list[int] = []
    for start in range(0, POPULATION_ARTIFACTS, 100):
        artifacts += store.put_artifacts([new_artifact(artifact_type, f"pop/{i}") for i in range(start, start + 100)])
    executions = store.put_executions(
        [pb.Execution(type_id=execution_type, last_known_state=pb.Execution.COMPLETE) for _ in range(POPULATION_EXECUTIONS)]
    )
    events = []
    for i, a in enumerate(artifacts):
        events.append(pb.Event(artifact_id=a, execution_id=executions[i % POPULATION_EXECUTIONS], type=pb.Event.OUTPUT))
        events.append(pb.Event(artifact_id=a, execution_id=executions[(i + 1) % POPULATION_EXECUTIONS], type=pb.Event.INPUT))
    for start in range(0, len(events), 200):
        store.put_events(events[start : start + 200])
    [context] = store.put_contexts([pb.Context(type_id=pipeline_type, name="fanout")])
    store.put_attributions_and_associations(
        [pb.Attribution(context_id=context, artifact_id=a) for a in artifacts[:CONTEXT_FANOUT]], []
    )

    chain_artifacts = store.put_artifacts([new_artifact(artifact_type, f"chain/{i}") for i in range(CHAIN_HOPS + 1)])
    chain_executions = store.put_executions([pb.Execution(type_id=execution_type) for _ in range(CHAIN_HOPS)])
    chain_events = []
    for i, e in enumerate(chain_executions):
        chain_events.append(pb.Event(artifact_id=chain_artifacts[i], execution_id=e, type=pb.Event.INPUT))
        chain_events.append(pb.Event(artifact_id=chain_artifacts[i + 1], execution_id=e, type=pb.Event.OUTPUT))
    store.put_events(chain_events)
    return {
        "artifact_type": artifact_type,
        "execution_type": execution_type,
        "pipeline_type": pipeline_type,
        "run_type": run_type,
        "artifacts": artifacts,
        "executions": executions,
        "fanout_context": context,
        "chain_artifacts": chain_artifacts,
        "chain_executions": chain_executions,
    }


# ---------------------------------------------------------------------------------------------
# Workloads: make(pop, cell, worker, k) builds op k's arguments (before timing); op runs it.


def _fill_types(store, pop, cell, w, k):
    t = pb.ArtifactType(name=f"ft.{cell}.{w}.{k}")
    for i in range(5):
        t.properties[f"q{i}"] = pb.STRING if i % 2 else pb.INT
    return lambda: store.put_artifact_type(t)


def _fill_nodes(batch):
    def make(store, pop, cell, w, k):
        nodes = [new_artifact(pop["artifact_type"], f"fn/{cell}/{w}/{k}/{j}") for j in range(batch)]
        return lambda: store.put_artifacts(nodes)

    return make


def event_pair(pop, cell, w, k, j):
    """A (artifact, execution) pair no other op uses: cells 0/1 x workers x ops x events."""
    idx = cell * 100_000 + w * 10_000 + k * EVENTS_PER_PUT + j
    return pop["artifacts"][idx % POPULATION_ARTIFACTS], pop["executions"][(idx // POPULATION_ARTIFACTS) % POPULATION_EXECUTIONS]


def _fill_events(store, pop, cell, w, k):
    events = []
    for j in range(EVENTS_PER_PUT):
        a, e = event_pair(pop, cell, w, k, j)
        ev = pb.Event(artifact_id=a, execution_id=e, type=pb.Event.DECLARED_OUTPUT)
        ev.path.steps.add().key = "out"
        events.append(ev)
    return lambda: store.put_events(events)


def _read_by_id(store, pop, cell, w, k):
    ids = random.Random(k * 31 + w).sample(pop["artifacts"], BATCH_IDS)
    return lambda: store.get_artifacts_by_id(ids)


def _read_by_context(store, pop, cell, w, k):
    c = pop["fanout_context"]
    return lambda: store.get_artifacts_by_context(c)


def _read_events(store, pop, cell, w, k):
    ids = random.Random(k * 17 + w).sample(pop["artifacts"], BATCH_IDS)
    return lambda: store.get_events_by_artifact_ids(ids)


def _lineage(store, pop, cell, w, k):
    options = pb.LineageSubgraphQueryOptions(max_num_hops=2 * CHAIN_HOPS)
    options.starting_artifacts.filter_query = f"id = {pop['chain_artifacts'][0]}"
    return lambda: store.get_lineage_subgraph(options)


def _put_execution(store, pop, cell, w, k):
    """What Kubeflow's launcher sends when a task finishes: the execution with its properties,
    an input artifact already stored (sent whole, as read), a new output artifact, both events
    with paths, and the pipeline and run contexts (existing after the first call)."""
    execution = pb.Execution(type_id=pop["execution_type"], last_known_state=pb.Execution.COMPLETE)
    execution.properties["p0"].string_value = STRING_VALUE
    execution.properties["n"].int_value = k
    for name in ("display_name", "task_name", "pod_name", "image"):
        execution.custom_properties[name].string_value = f"{name}-{cell}-{w}-{k}"
    execution.name = f"exec.{cell}.{w}.{k}"
    source = pop["kfp_inputs"][(w * 37 + k) % len(pop["kfp_inputs"])]
    inp = pb.Artifact()
    inp.CopyFrom(source)
    in_event = pb.Event(type=pb.Event.INPUT)
    in_event.path.steps.add().key = "examples"
    out = new_artifact(pop["artifact_type"], f"kfp/{cell}/{w}/{k}")
    out_event = pb.Event(type=pb.Event.OUTPUT)
    out_event.path.steps.add().key = "model"
    contexts = [
        pb.Context(type_id=pop["pipeline_type"], name="kfp-pipeline"),
        pb.Context(type_id=pop["run_type"], name=f"kfp-run-{cell}"),
    ]
    return lambda: store.put_execution(
        execution, [(inp, in_event), (out, out_event)], contexts, reuse_context_if_already_exist=True
    )


MAKERS = {
    "FillTypes": _fill_types,
    "FillNodes(batch=1)": _fill_nodes(1),
    "FillNodes(batch=100)": _fill_nodes(100),
    "FillEvents(batch=10)": _fill_events,
    "ReadNodesByProperties(ids=100)": _read_by_id,
    "ReadNodesViaContextEdges(100)": _read_by_context,
    "ReadEvents(ids=100)": _read_events,
    "GetLineageSubgraph(chain=21)": _lineage,
    "PutExecution(kubeflow)": _put_execution,
}


def retryable(e: Exception) -> bool:
    return isinstance(e, errors.AbortedError) or "locked" in str(e).lower() or "deadlock" in str(e).lower()


# ---------------------------------------------------------------------------------------------
# Measurement (runs in a worker process; one store per subject per process)

_stores: dict[str, metadata_store.MetadataStore] = {}
_barrier = None


def _init_worker(subjects: dict, barrier) -> None:
    global _barrier
    _barrier = barrier
    for name, subject in subjects.items():
        _stores[name] = open_store(subject)


def measure(task: dict) -> dict:
    store = _stores[task["subject"]]
    pop = task["pop"]
    make = MAKERS[task["workload"]]
    n = task["ops"] + WARMUP_OPS
    # Distinct per run: cell names must not collide between 1-client and N-client cells.
    ops = [make(store, pop, task["cell"], task["worker"], k) for k in range(n)]
    latencies, retries, failures, first_error = [], 0, 0, None
    for op in ops[:WARMUP_OPS]:
        _run(op)
    if task["clients"] > 1:
        # Every client starts together, after its own warm-up. While a worker waits here it
        # takes no other task, so the N tasks of a cell land on N distinct processes.
        _barrier.wait(timeout=300)
    t0 = time.perf_counter()
    deadline = t0 + task["time_cap_s"]
    for op in ops[WARMUP_OPS:]:
        s = time.perf_counter()
        ok, r, err = _run(op)
        e = time.perf_counter()
        retries += r
        if ok:
            latencies.append((e - s) * 1e6)
        else:
            failures += 1
            first_error = first_error or err
        if e > deadline:
            break
    t1 = time.perf_counter()
    return {"lat": latencies, "t0": t0, "t1": t1, "retries": retries, "failures": failures, "error": first_error}


def _run(op) -> tuple[bool, int, str | None]:
    for attempt in range(MAX_RETRIES + 1):
        try:
            op()
            return True, attempt, None
        except Exception as e:  # noqa: BLE001 - reported per cell, not hidden
            if retryable(e) and attempt < MAX_RETRIES:
                time.sleep(0.001 * (attempt + 1))
                continue
            return False, attempt, f"{type(e).__name__}: {str(e)[:200]}"
    return False, MAX_RETRIES, "retries exhausted"


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


def summarize(parts: list[dict]) -> dict:
    lat = sorted(x for p in parts for x in p["lat"])
    wall = max(p["t1"] for p in parts) - min(p["t0"] for p in parts)
    errors_ = [p["error"] for p in parts if p["error"]]
    return {
        "ops": len(lat),
        "mean_us": sum(lat) / len(lat) if lat else float("nan"),
        "p50_us": percentile(lat, 50),
        "p95_us": percentile(lat, 95),
        "p99_us": percentile(lat, 99),
        "ops_per_s": len(lat) / wall if wall > 0 else float("nan"),
        "retries": sum(p["retries"] for p in parts),
        "failures": sum(p["failures"] for p in parts),
        "error": errors_[0] if errors_ else None,
    }


def kfp_inputs(store, pop) -> list:
    """Artifacts Kubeflow would read back before sending them as inputs (untimed)."""
    return list(store.get_artifacts_by_id(pop["artifacts"][500:564]))


def run(args) -> None:
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    time_cap = float(os.environ.get("BENCH_TIME_CAP_S", "6"))
    wanted = [w for w in WORKLOADS if not args.only or any(s.lower() in w.lower() for s in args.only.split(","))]
    workdir = Path(tempfile.mkdtemp(prefix=f"mlmd-bench-{args.backend}-"))
    ours_location = new_location(args.backend, workdir, "ours")
    upstream_location = new_location(args.backend, workdir, "upstream")
    process, port = start_our_server(args.backend, ours_location, workdir)
    subjects = {
        "ours": {"kind": "ours", "port": port},
        "upstream": {"kind": "upstream", "backend": args.backend, "location": upstream_location},
    }
    results = []
    try:
        pops = {}
        for name, subject in subjects.items():
            store = open_store(subject)
            pops[name] = populate(store)
            pops[name]["kfp_inputs"] = kfp_inputs(store, pops[name])
            del store
        ctx = mp.get_context("spawn")
        barrier = ctx.Barrier(args.clients)
        with ctx.Pool(args.clients, initializer=_init_worker, initargs=(subjects, barrier)) as pool:
            for cell, workload in enumerate(wanted):
                total = max(1, int(WORKLOADS[workload] * scale))
                for ci, clients in enumerate(sorted({1, args.clients})):
                    for name in subjects:
                        per_client = max(1, total // clients)
                        tasks = [
                            {
                                "subject": name,
                                "workload": workload,
                                "pop": pops[name],
                                "cell": cell * 2 + ci,
                                "worker": w,
                                "ops": per_client,
                                "clients": clients,
                                "time_cap_s": time_cap,
                            }
                            for w in range(clients)
                        ]
                        summary = summarize(pool.map(measure, tasks, chunksize=1))
                        row = {"backend": args.backend, "workload": workload, "subject": name, "clients": clients, **summary}
                        results.append(row)
                        print(
                            f"  {args.backend:8} {workload:32} {name:9} x{clients}: "
                            f"{row['mean_us']:10.0f} us/op {row['ops_per_s']:8.1f} ops/s"
                            + (f"  ({row['retries']} retries)" if row["retries"] else "")
                            + (f"  [{row['failures']} failed: {row['error']}]" if row["failures"] else ""),
                            file=sys.stderr,
                            flush=True,
                        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    Path(args.out).write_text(json.dumps(results, indent=1))


def prepare(args) -> None:
    """A database populated by upstream's library for the raw-SQL floor, and its node ids."""
    workdir = Path(tempfile.mkdtemp(prefix=f"mlmd-bench-{args.backend}-"))
    location = new_location(args.backend, workdir, "dblimit")
    store = open_store({"kind": "upstream", "backend": args.backend, "location": location})
    pop = populate(store)
    pop["kfp_input_ids"] = pop["artifacts"][500:564]
    Path(args.out).write_text(
        json.dumps({"backend": args.backend, "location": location, "population": pop, "workloads": WORKLOADS,
                    "constants": {"batch_ids": BATCH_IDS, "events_per_put": EVENTS_PER_PUT, "chain_hops": CHAIN_HOPS,
                                  "string_value": STRING_VALUE, "warmup_ops": WARMUP_OPS}})
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["run", "prepare"])
    parser.add_argument("--backend", choices=["sqlite", "mariadb"], required=True)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--only", default="", help="comma-separated workload name fragments")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    (run if args.command == "run" else prepare)(args)


if __name__ == "__main__":
    main()
