"""The scale benchmark's measuring side (bench/scale/run.ts drives it; see bench/README.md).

    python bench/scale_compare.py measure --backend sqlite|mariadb --location JSON --shape JSON --out results.json
    python bench/scale_compare.py statements --backend mariadb --location JSON --shape JSON --out markers.json

On ONE database that bench/scale/kubeflow_population.ts filled with Kubeflow-shaped runs, three
subjects answer the same queries, op by op in turn so machine noise hits all alike:

  ours      our server (started here on that database) over loopback gRPC, official client
  held      upstream's C++ MetadataStore in-process, one store (one connection) for the run
  per-call  upstream's C++ MetadataStore in-process, a new store per call, as upstream's
            server opens a connection per RPC

Every query's answers are compared between the subjects first (ids, or the whole message),
and the result says whether they agreed. `statements` runs each hot RPC once per subject
between marker calls on a store of its own, for the caller to count the statements between
markers in MariaDB's general_log.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "test" / "python"))

from ml_metadata.metadata_store import metadata_store  # noqa: E402
from ml_metadata.proto import metadata_store_pb2 as pb  # noqa: E402

from mlmd_compare import percentile, start_our_server, upstream_config  # noqa: E402

WARMUP_OPS = 3
SUBJECTS = ("ours", "held", "per-call")


# ---------------------------------------------------------------------------------------------
# The population's layout (mirrors bench/scale/kubeflow_population.ts)


def run_name(r: int) -> str:
    return f"run-{r:06d}"


def pipeline_root(r: int) -> str:
    return f"minio://mlpipeline/v2/artifacts/pipeline-{r % 20:03d}/{run_name(r)}"


def layout(shape: dict, r: int) -> dict:
    per_run_executions = shape["tasks"] + 1
    per_run_artifacts = 2 * shape["tasks"]
    root = 1 + r * per_run_executions
    return {
        "context": shape["pipelines"] + 1 + r,
        "root_dag": root,
        "executions": [root + i for i in range(per_run_executions)],
        "first_artifact": 1 + r * per_run_artifacts,
    }


# ---------------------------------------------------------------------------------------------
# Queries: each takes (store, run index) and returns the answer


def q_context_by_name(store, shape, r):
    return store.get_context_by_type_and_name("system.PipelineRun", run_name(r))


def q_executions_by_context(store, shape, r):
    return store.get_executions_by_context(layout(shape, r)["context"])


def q_artifacts_by_context(store, shape, r):
    return store.get_artifacts_by_context(layout(shape, r)["context"])


def q_events_by_executions(store, shape, r):
    return store.get_events_by_execution_ids(layout(shape, r)["executions"])


def q_artifacts_by_uri(store, shape, r):
    return store.get_artifacts_by_uri(f"{pipeline_root(r)}/task-{r % shape['tasks']}/dataset")


def q_parent_dag(store, shape, r):
    # KFP's driver (GetExecutionsInDAG): the run context's executions under one DAG, paged.
    at = layout(shape, r)
    options = metadata_store.ListOptions(filter_query=f"custom_properties.parent_dag_id.int_value = {at['root_dag']}")
    return store.get_executions_by_context(at["context"], list_options=options)


def q_artifact_pages(store, shape, r):
    # The client pages by 100: two RPCs, the second with the first's next_page_token.
    return store.get_artifacts(list_options=metadata_store.ListOptions(limit=150, order_by=metadata_store.OrderByField.CREATE_TIME, is_asc=False))


def q_filter_context_name(store, shape, r):
    return store.get_artifacts(list_options=metadata_store.ListOptions(limit=100, filter_query=f"contexts_a.name = '{run_name(r)}'"))


def q_filter_uri_prefix(store, shape, r):
    return store.get_artifacts(list_options=metadata_store.ListOptions(limit=100, filter_query=f"uri LIKE '{pipeline_root(r)}/%'"))


def q_filter_property(store, shape, r):
    name = f"{run_name(r)}-task-{r % shape['tasks']}-pod"
    return store.get_executions(list_options=metadata_store.ListOptions(limit=100, filter_query=f"custom_properties.pod_name.string_value = '{name}'"))


def q_filter_issue_example(store, shape, r):
    text = f"type = 'system.Model' AND custom_properties.accuracy.double_value > 0.99 AND contexts_a.name = '{run_name(r)}'"
    return store.get_artifacts(list_options=metadata_store.ListOptions(limit=100, filter_query=text))


def q_lineage_of_run(store, shape, r):
    options = pb.LineageSubgraphQueryOptions(max_num_hops=50)
    options.starting_artifacts.filter_query = f"contexts_a.name = '{run_name(r)}'"
    return store.get_lineage_subgraph(options)


def q_lineage_rpc(store, shape, r):
    # The one GetLineageSubgraph RPC: without nodes in the mask the client sends no follow-up
    # Get*ByID calls (with them it sends five more, the row above).
    options = pb.LineageSubgraphQueryOptions(max_num_hops=50)
    options.starting_artifacts.filter_query = f"contexts_a.name = '{run_name(r)}'"
    return store.get_lineage_subgraph(options, field_mask_paths=["events", "associations", "attributions"])


def q_lineage_chain(store, shape, r):
    # From a run's first dataset along the run's task chain: about 20 hops.
    options = pb.LineageSubgraphQueryOptions(max_num_hops=20)
    options.starting_artifacts.filter_query = f"id = {layout(shape, r)['first_artifact']}"
    return store.get_lineage_subgraph(options, field_mask_paths=["events", "associations", "attributions"])


QUERIES = {
    "GetContextByTypeAndName": q_context_by_name,
    "GetExecutionsByContext": q_executions_by_context,
    "GetArtifactsByContext": q_artifacts_by_context,
    "GetEventsByExecutionIDs": q_events_by_executions,
    "GetArtifactsByURI": q_artifacts_by_uri,
    "GetExecutionsByContext(parent_dag_id filter)": q_parent_dag,
    "GetArtifacts(2 pages: 100+50, create time desc)": q_artifact_pages,
    "GetArtifacts(contexts_a.name =)": q_filter_context_name,
    "GetArtifacts(uri LIKE prefix%)": q_filter_uri_prefix,
    "GetExecutions(property string =)": q_filter_property,
    "GetArtifacts(type, accuracy >, context name)": q_filter_issue_example,
    "GetLineageSubgraph(whole run)": q_lineage_of_run,
    "GetLineageSubgraph RPC only(whole run)": q_lineage_rpc,
    "GetLineageSubgraph RPC only(task chain, 20 hops)": q_lineage_chain,
}
HOT = ("GetContextByTypeAndName", "GetExecutionsByContext", "GetArtifactsByContext", "GetEventsByExecutionIDs", "GetArtifactsByURI", "GetExecutionsByContext(parent_dag_id filter)", "GetArtifacts(type, accuracy >, context name)", "GetLineageSubgraph RPC only(whole run)", "GetLineageSubgraph RPC only(task chain, 20 hops)")


def canonical(answer) -> object:
    """A comparable form: messages serialised deterministically, lists sorted."""
    if answer is None:
        return None
    if isinstance(answer, tuple):  # (items, next_page_token) from paged calls
        answer = answer[0]
    if isinstance(answer, list):
        return sorted(m.SerializeToString(deterministic=True).hex() for m in answer)
    if isinstance(answer, pb.LineageGraph):
        fields = {}
        for field in ("artifacts", "executions", "contexts", "events", "attributions", "associations"):
            fields[field] = sorted(m.SerializeToString(deterministic=True).hex() for m in getattr(answer, field))
        for field in ("artifact_types", "execution_types", "context_types"):
            fields[field] = sorted(m.name for m in getattr(answer, field))
        return fields
    return answer.SerializeToString(deterministic=True).hex()


def size_of(answer) -> int:
    if isinstance(answer, list):
        return len(answer)
    if isinstance(answer, pb.LineageGraph):
        return len(answer.artifacts) + len(answer.executions)
    return 0 if answer is None else 1


# ---------------------------------------------------------------------------------------------


class Subjects:
    def __init__(self, backend: str, location: dict, workdir: Path):
        self.config = upstream_config(backend, location)
        self.server, port = start_our_server(backend, location, workdir)
        self.ours = metadata_store.MetadataStore(pb.MetadataStoreClientConfig(host="127.0.0.1", port=port))
        self.held = metadata_store.MetadataStore(self.config)

    def call(self, subject: str, query, shape: dict, r: int):
        if subject == "ours":
            return query(self.ours, shape, r)
        if subject == "held":
            return query(self.held, shape, r)
        return query(metadata_store.MetadataStore(self.config), shape, r)

    def close(self) -> None:
        self.server.terminate()
        self.server.wait(timeout=30)


def measure(args) -> None:
    location, shape = json.loads(args.location), json.loads(args.shape)
    rng = random.Random(7)
    workdir = Path(tempfile.mkdtemp(prefix="mlmd-scale-"))
    subjects = Subjects(args.backend, location, workdir)
    results = []
    try:
        for name, query in QUERIES.items():
            if args.only and not any(part in name for part in args.only.split(",")):
                continue
            # Same answers from every subject, on a few runs.
            agree = True
            sizes = set()
            for r in (0, shape["runs"] // 2, shape["runs"] - 1):
                answers = {s: subjects.call(s, query, shape, r) for s in SUBJECTS}
                forms = {s: canonical(a) for s, a in answers.items()}
                sizes.add(size_of(answers["held"]))
                if not (forms["ours"] == forms["held"] == forms["per-call"]):
                    agree = False
            lat: dict[str, list[float]] = {s: [] for s in SUBJECTS}
            runs = [rng.randrange(shape["runs"]) for _ in range(args.ops + WARMUP_OPS)]
            started = time.monotonic()
            for i, r in enumerate(runs):
                # A different subject goes first each round: no subject always meets a cold cache.
                order = SUBJECTS[i % 3 :] + SUBJECTS[: i % 3]
                for s in order:
                    t0 = time.perf_counter()
                    subjects.call(s, query, shape, r)
                    if i >= WARMUP_OPS:
                        lat[s].append((time.perf_counter() - t0) * 1e6)
                if time.monotonic() - started > args.time_cap_s and i >= WARMUP_OPS + 5:
                    break
            row = {"backend": args.backend, "runs": shape["runs"], "query": name, "agree": agree, "answer_sizes": sorted(sizes)}
            for s in SUBJECTS:
                values = sorted(lat[s])
                row[s] = {"ops": len(values), "mean_us": sum(values) / len(values), "p50_us": percentile(values, 50), "p95_us": percentile(values, 95)}
            results.append(row)
            print(
                f"  [{args.backend} {shape['runs']} runs] {name}: ours {row['ours']['mean_us']:.0f} µs, held {row['held']['mean_us']:.0f} µs, "
                f"per-call {row['per-call']['mean_us']:.0f} µs ({row['ours']['ops']} ops each){'' if agree else ', ANSWERS DIFFER'}",
                file=sys.stderr,
            )
    finally:
        subjects.close()
    Path(args.out).write_text(json.dumps(results, indent=1))


def statements(args) -> None:
    """Each hot RPC once per subject, between marker calls made on a store of their own."""
    location, shape = json.loads(args.location), json.loads(args.shape)
    workdir = Path(tempfile.mkdtemp(prefix="mlmd-scale-"))
    subjects = Subjects(args.backend, location, workdir)
    marker_store = metadata_store.MetadataStore(subjects.config)
    r = shape["runs"] // 3
    try:
        for name in HOT:
            for s in SUBJECTS:
                subjects.call(s, QUERIES[name], shape, r)  # warm: type caches, prepared state
        marks = []
        for name in HOT:
            for s in SUBJECTS:
                marker = f"mlmd-scale-marker:{len(marks)}"
                marker_store.get_artifacts_by_uri(marker)
                marks.append({"marker": marker, "query": name, "subject": s})
                subjects.call(s, QUERIES[name], shape, r)
        end = f"mlmd-scale-marker:{len(marks)}"
        marker_store.get_artifacts_by_uri(end)
        marks.append({"marker": end, "query": None, "subject": None})
    finally:
        subjects.close()
    Path(args.out).write_text(json.dumps(marks, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["measure", "statements"])
    parser.add_argument("--backend", required=True, choices=["sqlite", "mariadb"])
    parser.add_argument("--location", required=True)
    parser.add_argument("--shape", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--ops", type=int, default=60)
    parser.add_argument("--time-cap-s", type=float, default=4.0)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    (measure if args.command == "measure" else statements)(args)


if __name__ == "__main__":
    main()
