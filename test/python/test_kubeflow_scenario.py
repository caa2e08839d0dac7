"""Two Kubeflow Pipelines v2 runs replayed through the official client (clients.md §3, §4, §6, §7).

KFP's Go driver and launcher send raw requests (options with an empty `next_page_token`, empty id
lists, requests for types that do not exist yet), so the KFP steps below go through the client's
own RPC path (`MetadataStore._call`: its stub, its retry on ABORTED, its error mapping) with
requests shaped as KFP shapes them. The UI and e2e-test reads use the client's public methods
where those send what KFP's callers send.

Run 1: root DAG, a `producer` task (outputs `out` and `executor-logs`), a `consumer` task whose
input artifact is found through the filtered, paged child lookup, a sub-DAG with one task that
the launcher closes, and 21 sibling tasks so the child lookup needs two pages.
Run 2 (same pipeline): `producer` is a cache hit on run 1's execution.
"""

from __future__ import annotations

import uuid

import pytest
from ml_metadata import errors
from ml_metadata.proto import metadata_store_pb2 as pb
from ml_metadata.proto import metadata_store_service_pb2 as svc

PIPELINE = "hello-pipeline"
NAMESPACE = "kubeflow"
SESSION = '{"Provider":"minio","Params":{"accessKeySecretKey":"accesskey","disableSSL":"true"}}'
SIBLINGS = 21  # with producer and consumer: 23 children of the root DAG, more than one default page (20)


def rpc(store, method: str, **fields):
    """One RPC as KFP's Go client sends it, through the official client's call path."""
    request = getattr(svc, f"{method}Request")(**fields)
    response = getattr(svc, f"{method}Response")()
    store._call(method, request, response)  # noqa: SLF001 - the client's own stub and error mapping
    return response


def string_props(**values) -> dict:
    return {k: pb.Value(string_value=v) for k, v in values.items()}


def event(kind, key: str, artifact_id: int | None = None) -> pb.Event:
    e = pb.Event(type=kind)
    e.path.steps.add().key = key
    if artifact_id is not None:
        e.artifact_id = artifact_id
    return e


class KfpClient:
    """The calls of KFP's backend/src/v2/metadata client, one instance per driver/launcher process."""

    def __init__(self, store):
        self.store = store

    # -- pipeline and run contexts (GetPipeline) --
    def context_type_id(self, type_name: str) -> int:
        try:
            return rpc(self.store, "GetContextType", type_name=type_name).context_type.id
        except errors.NotFoundError:
            pass
        try:
            return rpc(self.store, "PutContextType", context_type=pb.ContextType(name=type_name)).type_id
        except errors.AlreadyExistsError:
            return rpc(self.store, "GetContextType", type_name=type_name).context_type.id

    def get_or_insert_context(self, type_name: str, name: str, props: dict | None = None) -> pb.Context:
        found = rpc(self.store, "GetContextByTypeAndName", type_name=type_name, context_name=name)
        if found.HasField("context"):
            return found.context
        context = pb.Context(name=name, type_id=self.context_type_id(type_name), custom_properties=props or {})
        try:
            rpc(self.store, "PutContexts", contexts=[context])
        except errors.AlreadyExistsError:
            pass
        found = rpc(self.store, "GetContextByTypeAndName", type_name=type_name, context_name=name)
        assert found.HasField("context"), f"{type_name} {name} was created but cannot be read back"
        return found.context

    def get_pipeline(self, run_id: str) -> tuple[pb.Context, pb.Context]:
        pipeline = self.get_or_insert_context("system.Pipeline", PIPELINE)
        run = self.get_or_insert_context(
            "system.PipelineRun",
            run_id,
            string_props(
                namespace=NAMESPACE,
                resource_name="run-resource",
                pipeline_root=f"minio://mlpipeline/v2/artifacts/{PIPELINE}/{run_id}",
                store_session_info=SESSION,
            ),
        )
        parents = rpc(self.store, "GetParentContextsByContext", context_id=run.id).contexts
        if not parents:
            try:
                rpc(self.store, "PutParentContexts", parent_contexts=[pb.ParentContext(child_id=run.id, parent_id=pipeline.id)])
            except errors.AlreadyExistsError:
                pass
        else:
            assert [p.id for p in parents] == [pipeline.id], "a run context must have exactly its pipeline as parent"
        return pipeline, run

    # -- executions --
    def create_execution(self, type_name, props, contexts, name=None, state=pb.Execution.RUNNING, pairs=()):
        type_id = rpc(self.store, "PutExecutionType", execution_type=pb.ExecutionType(name=type_name)).type_id
        execution = pb.Execution(type_id=type_id, last_known_state=state, custom_properties=props)
        if name is not None:
            execution.name = name
        put = rpc(self.store, "PutExecution", execution=execution, contexts=contexts, artifact_event_pairs=list(pairs))
        assert list(put.context_ids) == [c.id for c in contexts]
        assert list(put.artifact_ids) == [p.event.artifact_id for p in pairs]
        return self.execution(put.execution_id)

    def execution(self, execution_id: int) -> pb.Execution:
        found = rpc(self.store, "GetExecutionsByID", execution_ids=[execution_id]).executions
        assert len(found) == 1, f"execution {execution_id} not found"
        return found[0]

    def get_dag(self, execution_id: int) -> tuple[pb.Execution, list[pb.Context]]:
        dag = self.execution(execution_id)
        self.context_type_id("system.Pipeline")
        self.context_type_id("system.PipelineRun")
        return dag, list(rpc(self.store, "GetContextsByExecution", execution_id=execution_id).contexts)

    def children(self, run: pb.Context, dag_id: int) -> list[pb.Execution]:
        """The driver's and launcher's sibling lookup: filtered by parent DAG, paged by token."""
        found, token, pages = [], "", 0
        while True:
            options = pb.ListOperationOptions(filter_query=f"custom_properties.parent_dag_id.int_value = {dag_id}", next_page_token=token)
            page = rpc(self.store, "GetExecutionsByContext", context_id=run.id, options=options)
            found.extend(page.executions)
            pages += 1
            assert pages < 50, "next_page_token never ran out"
            token = page.next_page_token
            if not token:
                return found

    def producer_artifacts(self, execution_id: int) -> dict[str, pb.Artifact]:
        events = rpc(self.store, "GetEventsByExecutionIDs", execution_ids=[execution_id]).events
        outputs = {e.path.steps[0].key: e.artifact_id for e in events if e.type == pb.Event.OUTPUT}
        artifacts = rpc(self.store, "GetArtifactsByID", artifact_ids=list(outputs.values())).artifacts
        by_id = {a.id: a for a in artifacts}
        return {key: by_id[aid] for key, aid in outputs.items()}

    def record_artifact(self, schema_title: str, uri: str, display_name: str, **metadata) -> pb.Artifact:
        type_id = rpc(self.store, "PutArtifactType", artifact_type=pb.ArtifactType(name=schema_title)).type_id
        props = {"display_name": pb.Value(string_value=display_name), "store_session_info": pb.Value(string_value=SESSION)}
        props.update(metadata)
        artifact = pb.Artifact(type_id=type_id, uri=uri, state=pb.Artifact.LIVE, custom_properties=props)
        (artifact_id,) = rpc(self.store, "PutArtifacts", artifacts=[artifact]).artifact_ids
        (stored,) = rpc(self.store, "GetArtifactsByID", artifact_ids=[artifact_id]).artifacts
        return stored

    def publish(self, execution: pb.Execution, state, contexts, pairs=(), outputs: dict | None = None) -> svc.PutExecutionResponse:
        sent = pb.Execution()
        sent.CopyFrom(execution)  # echoed as read back: id, type_id, type, timestamps
        sent.last_known_state = state
        if outputs is not None:
            sent.custom_properties["outputs"].struct_value.update(outputs)
        return rpc(self.store, "PutExecution", execution=sent, contexts=contexts, artifact_event_pairs=list(pairs))


def root_driver(store, run_id: str, message: str):
    kfp = KfpClient(store)
    pipeline, run = kfp.get_pipeline(run_id)
    props = string_props(display_name="", task_name="")
    props["inputs"] = pb.Value()
    props["inputs"].struct_value.update({"message": message})
    dag = kfp.create_execution("system.DAGExecution", props, [pipeline, run], name=f"run/{run_id}")
    return pipeline, run, dag


def container_driver(store, run_id, dag_id, task, fingerprint, input_pairs=(), parent_props=None):
    """Pipeline lookup, parent DAG, input resolution and the task's RUNNING execution (§4.2)."""
    kfp = KfpClient(store)
    pipeline, run = kfp.get_pipeline(run_id)
    dag, dag_contexts = kfp.get_dag(dag_id)
    assert dag.type == "system.DAGExecution"
    assert sorted(c.id for c in dag_contexts) == sorted([pipeline.id, run.id])
    # Parameter inputs come from the DAG's own INPUT events and `inputs` property.
    dag_events = rpc(store, "GetEventsByExecutionIDs", execution_ids=[dag_id]).events
    dag_artifacts = rpc(store, "GetArtifactsByID", artifact_ids=[e.artifact_id for e in dag_events]).artifacts
    assert (list(dag_events), list(dag_artifacts)) == ([], [])
    props = string_props(display_name=task, task_name=task, pod_name="", pod_uid="", namespace="", image="python:3.11", cache_fingerprint=fingerprint)
    props["parent_dag_id"] = pb.Value(int_value=dag_id)
    props["inputs"] = pb.Value()
    props["inputs"].struct_value.update(dict(dag.custom_properties["inputs"].struct_value))
    props.update(parent_props or {})
    execution = kfp.create_execution("system.ContainerExecution", props, [pipeline, run], pairs=input_pairs)
    return kfp, pipeline, run, execution


def launcher_pre_publish(kfp: KfpClient, execution_id: int, pod: str) -> pb.Execution:
    execution = kfp.execution(execution_id)
    kfp.context_type_id("system.Pipeline")
    kfp.context_type_id("system.PipelineRun")
    rpc(kfp.store, "GetContextsByExecution", execution_id=execution_id)
    sent = pb.Execution()
    sent.CopyFrom(execution)
    sent.custom_properties["pod_name"].string_value = pod
    sent.custom_properties["pod_uid"].string_value = str(uuid.uuid4())
    sent.custom_properties["namespace"].string_value = NAMESPACE
    put = rpc(kfp.store, "PutExecution", execution=sent)
    assert put.execution_id == execution_id
    assert list(put.context_ids) == [] and list(put.artifact_ids) == []
    return kfp.execution(execution_id)


def output_pair(artifact_id: int, key: str) -> svc.PutExecutionRequest.ArtifactAndEvent:
    return svc.PutExecutionRequest.ArtifactAndEvent(event=event(pb.Event.OUTPUT, key, artifact_id))


def test_kubeflow_v2_runs(fresh_store):
    store = fresh_store
    run1, run2 = str(uuid.uuid4()), str(uuid.uuid4())
    fingerprint = uuid.uuid4().hex * 2

    # --- §4.1 root driver on a fresh database: nothing exists, types are NOT_FOUND, lookups OK-empty.
    assert not rpc(store, "GetContextByTypeAndName", type_name="system.Pipeline", context_name=PIPELINE).HasField("context")
    with pytest.raises(errors.NotFoundError):
        rpc(store, "GetContextType", type_name="system.Pipeline")
    assert not rpc(store, "GetExecutionByTypeAndName", type_name="system.DAGExecution", execution_name=f"run/{run1}").HasField("execution")
    pipeline, run, root = root_driver(store, run1, "hello")
    assert (pipeline.type, run.type, root.type) == ("system.Pipeline", "system.PipelineRun", "system.DAGExecution")
    assert run.custom_properties["namespace"].string_value == NAMESPACE
    assert root.name == f"run/{run1}" and root.last_known_state == pb.Execution.RUNNING
    assert root.create_time_since_epoch > 0 and root.last_update_time_since_epoch >= root.create_time_since_epoch
    assert dict(root.custom_properties["inputs"].struct_value) == {"message": "hello"}

    # Argo retries the root driver: duplicates come back ALREADY_EXISTS and KFP recovers by name.
    with pytest.raises(errors.AlreadyExistsError):
        rpc(store, "PutContexts", contexts=[pb.Context(name=run1, type_id=run.type_id)])
    with pytest.raises(errors.AlreadyExistsError):
        rpc(store, "PutParentContexts", parent_contexts=[pb.ParentContext(child_id=run.id, parent_id=pipeline.id)])
    with pytest.raises(errors.AlreadyExistsError):
        rpc(store, "PutExecution", execution=pb.Execution(type_id=root.type_id, name=f"run/{run1}", last_known_state=pb.Execution.RUNNING), contexts=[pipeline, run])
    again = rpc(store, "GetExecutionByTypeAndName", type_name="system.DAGExecution", execution_name=f"run/{run1}").execution
    assert again.id == root.id
    assert sorted(c.id for c in rpc(store, "GetContextsByExecution", execution_id=root.id).contexts) == sorted([pipeline.id, run.id])
    assert KfpClient(store).get_pipeline(run1) == (pipeline, run), "a second driver must see the same contexts"

    # --- §4.2/§4.3 producer: driver, launcher, outputs, publish.
    kfp, _, _, producer = container_driver(store, run1, root.id, "producer", fingerprint)
    assert producer.type == "system.ContainerExecution" and not producer.HasField("name")
    assert producer.custom_properties["parent_dag_id"].int_value == root.id
    assert dict(producer.custom_properties["inputs"].struct_value) == {"message": "hello"}
    kfp = KfpClient(store)  # the launcher is another process
    running = launcher_pre_publish(kfp, producer.id, "producer-pod")
    assert running.custom_properties["pod_name"].string_value == "producer-pod"
    assert running.custom_properties["cache_fingerprint"].string_value == fingerprint, "the echo must keep driver props"
    assert running.create_time_since_epoch == producer.create_time_since_epoch
    root_uri = f"minio://mlpipeline/v2/artifacts/{PIPELINE}/{run1}/producer/{uuid.uuid4()}"
    out = kfp.record_artifact("system.Dataset", f"{root_uri}/out", "out", rows=pb.Value(double_value=3.0))
    logs = kfp.record_artifact("system.Artifact", f"{root_uri}/executor-logs", "executor-logs")
    assert (out.type, logs.type) == ("system.Dataset", "system.Artifact")
    assert out.state == pb.Artifact.LIVE and not out.HasField("name") and len(out.properties) == 0
    put = kfp.publish(running, pb.Execution.COMPLETE, [pipeline, run], [output_pair(out.id, "out"), output_pair(logs.id, "executor-logs")], {"Output": "hello!"})
    assert put.execution_id == producer.id
    assert list(put.artifact_ids) == [out.id, logs.id] and list(put.context_ids) == [pipeline.id, run.id]
    published = kfp.execution(producer.id)
    assert published.last_known_state == pb.Execution.COMPLETE
    assert dict(published.custom_properties["outputs"].struct_value) == {"Output": "hello!"}
    assert published.custom_properties["pod_name"].string_value == "producer-pod"
    for artifact in (out, logs):
        attributed = rpc(store, "GetContextsByArtifact", artifact_id=artifact.id).contexts
        assert sorted(c.id for c in attributed) == sorted([pipeline.id, run.id])

    # 21 unrelated sibling tasks and a sub-DAG so the consumer's lookup pages and filters.
    for i in range(SIBLINGS):
        sibling_props = string_props(display_name=f"sibling-{i}", task_name=f"sibling-{i}")
        sibling_props["parent_dag_id"] = pb.Value(int_value=root.id)
        kfp.create_execution("system.ContainerExecution", sibling_props, [pipeline, run])
    sub_props = string_props(display_name="sub", task_name="sub")
    sub_props["parent_dag_id"] = pb.Value(int_value=root.id)
    sub_props["total_dag_tasks"] = pb.Value(int_value=1)
    sub_props["inputs"] = pb.Value()
    sub_props["inputs"].struct_value.update({"message": "hello"})
    sub_dag = kfp.create_execution("system.DAGExecution", sub_props, [pipeline, run])

    # --- consumer: resolves producer's `out` through the filtered, paged child lookup (§4.2.3).
    resolver = KfpClient(store)
    children = resolver.children(run, root.id)
    assert sorted(e.id for e in children) == sorted(e.id for e in rpc(store, "GetExecutionsByContext", context_id=run.id).executions if e.custom_properties["parent_dag_id"].int_value == root.id)
    assert len(children) == SIBLINGS + 2 and len({e.id for e in children}) == len(children)
    assert [e.id for e in children] == sorted(e.id for e in children), "pages follow id order"
    first_page = rpc(store, "GetExecutionsByContext", context_id=run.id, options=pb.ListOperationOptions(filter_query=f"custom_properties.parent_dag_id.int_value = {root.id}", next_page_token=""))
    assert len(first_page.executions) == 20 and first_page.next_page_token, "options without max_result_size page by 20"
    (found_producer,) = [e for e in children if e.custom_properties["task_name"].string_value == "producer"]
    assert found_producer.type == "system.ContainerExecution"
    upstream = resolver.producer_artifacts(found_producer.id)
    assert {k: a.id for k, a in upstream.items()} == {"out": out.id, "executor-logs": logs.id}
    assert upstream["out"].uri == out.uri and upstream["out"].type == "system.Dataset"
    input_pair = svc.PutExecutionRequest.ArtifactAndEvent(event=event(pb.Event.INPUT, "in", out.id))
    kfp, _, _, consumer = container_driver(store, run1, root.id, "consumer", uuid.uuid4().hex, [input_pair])
    consumer = launcher_pre_publish(KfpClient(store), consumer.id, "consumer-pod")
    # Importer/cache style: a pair with a full new artifact and an event without artifact_id.
    new_model = pb.Artifact(
        type_id=rpc(store, "PutArtifactType", artifact_type=pb.ArtifactType(name="system.Model")).type_id,
        uri=f"minio://mlpipeline/v2/artifacts/{PIPELINE}/{run1}/consumer/model",
        state=pb.Artifact.LIVE,
        custom_properties=string_props(display_name="model"),
    )
    put = kfp.publish(consumer, pb.Execution.COMPLETE, [pipeline, run], [svc.PutExecutionRequest.ArtifactAndEvent(artifact=new_model, event=event(pb.Event.OUTPUT, "model"))])
    (model_id,) = put.artifact_ids
    (model,) = rpc(store, "GetArtifactsByID", artifact_ids=[model_id]).artifacts
    assert model.type == "system.Model" and model.uri == new_model.uri
    assert sorted(c.id for c in rpc(store, "GetContextsByArtifact", artifact_id=model_id).contexts) == sorted([pipeline.id, run.id])
    consumer_events = rpc(store, "GetEventsByExecutionIDs", execution_ids=[consumer.id]).events
    assert sorted((e.type, e.path.steps[0].key, e.artifact_id) for e in consumer_events) == sorted([(pb.Event.INPUT, "in", out.id), (pb.Event.OUTPUT, "model", model_id)])
    assert all(e.milliseconds_since_epoch > 0 for e in consumer_events), "the UI dates artifacts by their OUTPUT event"

    # --- sub-DAG with one task; the launcher's status propagation closes the DAG (§4.3.6).
    _, _, _, inner = container_driver(store, run1, sub_dag.id, "inner", uuid.uuid4().hex)
    inner = launcher_pre_publish(KfpClient(store), inner.id, "inner-pod")
    kfp.publish(inner, pb.Execution.COMPLETE, [pipeline, run])
    propagator = KfpClient(store)
    dag, _ = propagator.get_dag(sub_dag.id)
    assert dag.custom_properties["total_dag_tasks"].int_value == 1
    tasks = propagator.children(run, dag.id)
    assert [t.id for t in tasks] == [inner.id] and tasks[0].last_known_state == pb.Execution.COMPLETE
    propagator.publish(dag, pb.Execution.COMPLETE, contexts=[])
    assert propagator.execution(sub_dag.id).last_known_state == pb.Execution.COMPLETE
    assert propagator.execution(root.id).last_known_state == pb.Execution.RUNNING, "the root DAG is never closed by KFP"

    # --- run 2: same pipeline, producer is a cache hit on run 1 (§4.2.7 cache-hit branch).
    pipeline2, run_b, root2 = root_driver(store, run2, "hello")
    assert pipeline2.id == pipeline.id and run_b.id != run.id
    # KFP keeps the fingerprint -> execution id map in its API server; the same lookup through MLMD:
    cached_lookup = store.get_executions(list_options=_list_options(f"custom_properties.cache_fingerprint.string_value = '{fingerprint}' AND last_known_state = COMPLETE"))
    assert [e.id for e in cached_lookup] == [producer.id]
    kfp, _, _, hit = container_driver(store, run2, root2.id, "producer", fingerprint)
    cached = kfp.execution(producer.id)
    rpc(store, "GetContextsByExecution", execution_id=producer.id)
    cached_outputs = kfp.producer_artifacts(producer.id)
    hit.custom_properties["cached_execution_id"].string_value = str(producer.id)
    kfp.publish(hit, pb.Execution.CACHED, [pipeline, run_b], [output_pair(a.id, k) for k, a in cached_outputs.items()], dict(cached.custom_properties["outputs"].struct_value))
    assert sorted(c.id for c in rpc(store, "GetContextsByArtifact", artifact_id=out.id).contexts) == sorted([pipeline.id, run.id, run_b.id])

    # --- §7 e2e checks: run context by single-quoted name, executions without options.
    (ctx,) = store.get_contexts(list_options=_list_options(f"name = '{run2}'"))
    assert ctx.id == run_b.id and ctx.type == "system.PipelineRun"
    run2_executions = rpc(store, "GetExecutionsByContext", context_id=run_b.id).executions
    assert {(e.type, e.last_known_state) for e in run2_executions} == {("system.DAGExecution", pb.Execution.RUNNING), ("system.ContainerExecution", pb.Execution.CACHED)}
    assert next(e for e in run2_executions if e.type == "system.ContainerExecution").custom_properties["cached_execution_id"].string_value == str(producer.id)

    # --- §6 UI reads (RunDetailsV2, artifact list, lineage, namespace check).
    ui_run = store.get_context_by_type_and_name("system.PipelineRun", run1)
    assert ui_run.id == run.id
    assert store.get_context_by_type_and_name("system.PipelineRun", "no-such-run") is None
    executions = store.get_executions_by_context(run.id)
    assert len(executions) == 1 + 2 + SIBLINGS + 1 + 1  # root, producer, consumer, siblings, sub-DAG, inner
    assert {e.type for e in executions} == {"system.DAGExecution", "system.ContainerExecution"}
    artifacts = store.get_artifacts_by_context(run.id)
    assert sorted(a.id for a in artifacts) == sorted([out.id, logs.id, model_id])
    events = store.get_events_by_execution_ids([e.id for e in executions])
    assert sorted((e.execution_id, e.artifact_id, e.type) for e in events) == sorted(
        [(producer.id, out.id, pb.Event.OUTPUT), (producer.id, logs.id, pb.Event.OUTPUT), (consumer.id, out.id, pb.Event.INPUT), (consumer.id, model_id, pb.Event.OUTPUT)]
    )
    by_id = store.get_artifacts_by_id([a.id for a in artifacts] + [10**9])
    assert sorted(a.id for a in by_id) == sorted(a.id for a in artifacts), "unknown ids are dropped"
    assert store.get_artifacts_by_id([]) == []
    for artifact in artifacts:  # creation time = last OUTPUT event's timestamp, one call per artifact
        outputs = [e for e in store.get_events_by_artifact_ids([artifact.id]) if e.type == pb.Event.OUTPUT]
        assert outputs and max(e.milliseconds_since_epoch for e in outputs) > 0
    assert {"system.Dataset", "system.Artifact", "system.Model"} <= {t.name for t in store.get_artifact_types()}
    (execution_type,) = store.get_execution_types_by_id([consumer.type_id])
    assert execution_type.name == "system.ContainerExecution"
    run_type = store.get_context_type("system.PipelineRun")
    assert [c.id for c in store.get_contexts_by_execution(consumer.id) if c.type_id == run_type.id] == [run.id]
    # Namespace check before a download: contexts of the artifact found by URI.
    (by_uri,) = rpc(store, "GetArtifactsByURI", uris=[out.uri]).artifacts
    owners = [c for c in rpc(store, "GetContextsByArtifact", artifact_id=by_uri.id).contexts if c.type == "system.PipelineRun"]
    assert {c.custom_properties["namespace"].string_value for c in owners} == {NAMESPACE} and len(owners) == 2

    # Runs list: contexts by type, paged one at a time and in one call.
    runs, token = [], None
    while True:
        options = pb.ListOperationOptions(max_result_size=1)
        if token:
            options.next_page_token = token
        page = rpc(store, "GetContextsByType", type_name="system.PipelineRun", options=options)
        assert len(page.contexts) <= 1
        runs.extend(c.name for c in page.contexts)
        token = page.next_page_token
        if not token:
            break
    assert runs == [run1, run2]
    assert [c.name for c in store.get_contexts_by_type("system.PipelineRun")] == [run1, run2]
    assert store.get_contexts_by_type("no.such.type") == []

    # Lineage of producer's `out`: its producer, its consumers (both runs) and what they made.
    query = pb.LineageSubgraphQueryOptions(max_num_hops=2)
    query.starting_artifacts.filter_query = f"id IN ({out.id})"
    graph = store.get_lineage_subgraph(query, ["artifacts", "executions", "events", "contexts", "artifact_types"])
    assert sorted(a.id for a in graph.artifacts) == sorted([out.id, logs.id, model_id])
    assert sorted(e.id for e in graph.executions) == sorted([producer.id, consumer.id, hit.id])
    assert {(e.execution_id, e.artifact_id) for e in graph.events} == {
        (producer.id, out.id), (producer.id, logs.id), (consumer.id, out.id), (consumer.id, model_id), (hit.id, out.id), (hit.id, logs.id)
    }
    assert {t.name for t in graph.artifact_types} == {"system.Dataset", "system.Artifact", "system.Model"}
    upstream_only = pb.LineageSubgraphQueryOptions(max_num_hops=2, direction=pb.LineageSubgraphQueryOptions.UPSTREAM)
    upstream_only.starting_artifacts.filter_query = f"id = {model_id}"
    graph = store.get_lineage_subgraph(upstream_only, ["artifacts", "executions"])
    assert sorted(a.id for a in graph.artifacts) == sorted([model_id, out.id])
    assert [e.id for e in graph.executions] == [consumer.id]


def _list_options(filter_query: str):
    import ml_metadata as mlmd

    return mlmd.ListOptions(filter_query=filter_query)
