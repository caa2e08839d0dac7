"""One rich MLMD graph, written through the Python client API.

The same code writes through upstream's in-process library and through our server over gRPC,
so the two writers get byte-identical requests. `tag` keeps several graphs apart in one
database (names and external ids carry it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from google.protobuf import any_pb2, struct_pb2
from ml_metadata.proto import metadata_store_pb2 as pb

# Every kind of text the MySQL latin1 session must carry unchanged (storage notes §2.10),
# plus SQL-escaping hazards.
TEXTS = {
    "latin": "café é",
    "cjk": "漢字",
    "emoji": "😀🚀",
    "mixed": "é漢😀 mixed",
    "quotes": "it's a \"quote\" \\ backslash",
    "empty": "",
}

# Doubles upstream stores exactly (few fractional digits) and ones it rounds to 6 digits.
EXACT_DOUBLES = {"half": 0.5, "neg": -2.25, "big": 1234567.875, "whole": 3.0}
ROUNDED_BY_UPSTREAM = {"tiny": 1e-7, "long": 0.1234567891234}


def int_edges(backend: str) -> dict[str, int]:
    """The extreme int64 values upstream can store: its MySQL int_value column is a 32-bit INT."""
    if backend == "sqlite":
        return {"max": 2**63 - 1, "min": -(2**63), "over32": 2**31, "zero": 0, "minus_one": -1}
    return {"max": 2**31 - 1, "min": -(2**31), "zero": 0, "minus_one": -1}


def _struct() -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update({
        "text": TEXTS["mixed"],
        "number": 1.5,
        "flag": True,
        "nothing": None,
        "list": [1, "two", {"three": 3}],
        "nested": {"k": "é"},
    })
    return s


def _any() -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(pb.Value(string_value=TEXTS["cjk"]))
    return packed


PROPERTY_KINDS = {
    "p_int": pb.INT,
    "p_double": pb.DOUBLE,
    "p_string": pb.STRING,
    "p_struct": pb.STRUCT,
    "p_proto": pb.PROTO,
    "p_bool": pb.BOOLEAN,
}


def _fill_properties(node, backend: str, salt: int) -> None:
    node.properties["p_int"].int_value = 42 + salt
    node.properties["p_double"].double_value = 0.5 + salt
    node.properties["p_string"].string_value = TEXTS["mixed"] + str(salt)
    node.properties["p_struct"].struct_value.CopyFrom(_struct())
    node.properties["p_proto"].proto_value.CopyFrom(_any())
    node.properties["p_bool"].bool_value = salt % 2 == 0
    custom = node.custom_properties
    for key, value in int_edges(backend).items():
        custom[f"int_{key}"].int_value = value
    for key, value in {**EXACT_DOUBLES, **ROUNDED_BY_UPSTREAM}.items():
        custom[f"double_{key}"].double_value = value
    for key, value in TEXTS.items():
        custom[f"text_{key}"].string_value = value
    custom["struct"].struct_value.CopyFrom(_struct())
    custom["proto"].proto_value.CopyFrom(_any())
    custom["true"].bool_value = True
    custom["false"].bool_value = False
    custom[TEXTS["mixed"]].string_value = "non-ASCII property name"


@dataclass
class Graph:
    """What a reader needs to ask about a written graph."""

    tag: str
    artifact_types: list[tuple[str, str | None]] = field(default_factory=list)
    execution_types: list[tuple[str, str | None]] = field(default_factory=list)
    context_types: list[tuple[str, str | None]] = field(default_factory=list)
    type_ids: dict[str, list[int]] = field(default_factory=dict)
    type_external_ids: dict[str, list[str]] = field(default_factory=dict)
    artifact_ids: list[int] = field(default_factory=list)
    execution_ids: list[int] = field(default_factory=list)
    context_ids: list[int] = field(default_factory=list)
    artifact_names: list[tuple[str, str | None, str]] = field(default_factory=list)
    execution_names: list[tuple[str, str | None, str]] = field(default_factory=list)
    context_names: list[tuple[str, str | None, str]] = field(default_factory=list)
    uris: list[str] = field(default_factory=list)
    external_ids: dict[str, list[str]] = field(default_factory=dict)


def write_graph(store, tag: str, backend: str) -> Graph:
    g = Graph(tag)

    # Types: versions, base types, every property kind, descriptions, external ids.
    model = pb.ArtifactType(name=f"Model_{tag}", description=TEXTS["mixed"], external_id=f"at-model-{tag}",
                            base_type=pb.ArtifactType.MODEL)
    for name, kind in PROPERTY_KINDS.items():
        model.properties[name] = kind
    model_v2 = pb.ArtifactType(name=f"Model_{tag}", version="v2", external_id=f"at-model-v2-{tag}")
    model_v2.CopyFrom(model)
    model_v2.version = "v2"
    model_v2.external_id = f"at-model-v2-{tag}"
    model_v2.properties["extra"] = pb.STRING
    dataset = pb.ArtifactType(name=f"Dataset_{tag}", base_type=pb.ArtifactType.DATASET)
    dataset.properties["rows"] = pb.INT
    artifact_type_ids = [store.put_artifact_type(t) for t in (model, model_v2, dataset)]
    g.artifact_types = [(model.name, None), (model.name, "v2"), (dataset.name, None)]

    trainer = pb.ExecutionType(name=f"Trainer_{tag}", version="1.0", description="trains",
                               external_id=f"et-trainer-{tag}", base_type=pb.ExecutionType.TRAIN)
    for name, kind in PROPERTY_KINDS.items():
        trainer.properties[name] = kind
    trainer.input_type.union_type.candidates.add().simple.CopyFrom(model)
    trainer.input_type.union_type.candidates.add().any.SetInParent()
    getattr(trainer.output_type, "list").element.simple.name = dataset.name
    plain = pb.ExecutionType(name=f"Evaluator_{tag}", base_type=pb.ExecutionType.EVALUATE)
    execution_type_ids = [store.put_execution_type(t) for t in (trainer, plain)]
    g.execution_types = [(trainer.name, "1.0"), (plain.name, None)]

    pipeline = pb.ContextType(name=f"Pipeline_{tag}", external_id=f"ct-pipeline-{tag}")
    run = pb.ContextType(name=f"Run_{tag}", version="2024", description="ä run")
    for name, kind in PROPERTY_KINDS.items():
        run.properties[name] = kind
    context_type_ids = [store.put_context_type(t) for t in (pipeline, run)]
    g.context_types = [(pipeline.name, None), (run.name, "2024")]
    g.type_ids = {"artifact": artifact_type_ids, "execution": execution_type_ids, "context": context_type_ids}
    g.type_external_ids = {
        "artifact": [model.external_id, model_v2.external_id],
        "execution": [trainer.external_id],
        "context": [pipeline.external_id],
    }

    # Artifacts: every state, with and without uri/name, every Value kind.
    artifacts = []
    for i, state in enumerate(pb.Artifact.State.values()):
        a = pb.Artifact(type_id=artifact_type_ids[0], state=state, uri=f"/data/{tag}/{TEXTS['mixed']}/{i}",
                        name=f"artifact {i} {TEXTS['emoji']} {tag}", external_id=f"a-{i}-{tag}")
        _fill_properties(a, backend, i)
        artifacts.append(a)
    bare = pb.Artifact(type_id=artifact_type_ids[2])  # no uri, name, state or external id
    bare.properties["rows"].int_value = 7
    artifacts.append(bare)
    versioned = pb.Artifact(type_id=artifact_type_ids[1], uri=f"/data/{tag}/v2", name=f"versioned {tag}")
    versioned.properties["extra"].string_value = TEXTS["cjk"]
    artifacts.append(versioned)
    g.artifact_ids = list(store.put_artifacts(artifacts))
    g.uris = sorted({a.uri for a in artifacts}) + ["/nowhere"]
    g.artifact_names = [(model.name, None, artifacts[0].name), (model.name, "v2", versioned.name),
                        (model.name, None, "missing")]

    executions = []
    for i, state in enumerate(pb.Execution.State.values()):
        e = pb.Execution(type_id=execution_type_ids[0], last_known_state=state, name=f"exec {i} 漢 {tag}",
                         external_id=f"e-{i}-{tag}")
        _fill_properties(e, backend, i)
        executions.append(e)
    executions.append(pb.Execution(type_id=execution_type_ids[1]))
    g.execution_ids = list(store.put_executions(executions))
    g.execution_names = [(trainer.name, "1.0", executions[1].name), (trainer.name, None, executions[1].name)]

    contexts = [
        pb.Context(type_id=context_type_ids[0], name=f"pipeline {TEXTS['emoji']} {tag}", external_id=f"c-p-{tag}"),
        pb.Context(type_id=context_type_ids[1], name=f"run 1 {tag}", external_id=f"c-r1-{tag}"),
        pb.Context(type_id=context_type_ids[1], name=f"run 2 é {tag}"),
        pb.Context(type_id=context_type_ids[1], name=f"sub-run {tag}"),
    ]
    for i, c in enumerate(contexts[1:]):
        _fill_properties(c, backend, i)
    g.context_ids = list(store.put_contexts(contexts))
    g.context_names = [(pipeline.name, None, contexts[0].name), (run.name, "2024", contexts[2].name)]

    # Events with multi-step paths (index and key steps, non-ASCII keys, explicit times).
    events = []
    for i, (artifact_id, execution_id) in enumerate(zip(g.artifact_ids[:5], g.execution_ids[:5])):
        ev = pb.Event(artifact_id=artifact_id, execution_id=execution_id,
                      type=pb.Event.INPUT if i % 2 else pb.Event.OUTPUT,
                      milliseconds_since_epoch=1_700_000_000_000 + i)
        ev.path.steps.add().key = "outputs"
        ev.path.steps.add().index = i
        ev.path.steps.add().key = TEXTS["mixed"]
        ev.path.steps.add().index = 2**31 - 1
        events.append(ev)
    # Several events of one artifact and one execution, of different types.
    for event_type in (pb.Event.DECLARED_OUTPUT, pb.Event.DECLARED_INPUT, pb.Event.INTERNAL_INPUT,
                       pb.Event.INTERNAL_OUTPUT, pb.Event.PENDING_OUTPUT):
        events.append(pb.Event(artifact_id=g.artifact_ids[0], execution_id=g.execution_ids[1], type=event_type,
                               milliseconds_since_epoch=1_600_000_000_000 + event_type))
    store.put_events(events)

    store.put_attributions_and_associations(
        [pb.Attribution(context_id=c, artifact_id=a) for c in g.context_ids[:3] for a in g.artifact_ids[:4]],
        [pb.Association(context_id=c, execution_id=e) for c in g.context_ids[:2] for e in g.execution_ids[:4]],
    )
    store.put_parent_contexts([
        pb.ParentContext(child_id=g.context_ids[1], parent_id=g.context_ids[0]),
        pb.ParentContext(child_id=g.context_ids[2], parent_id=g.context_ids[0]),
        pb.ParentContext(child_id=g.context_ids[3], parent_id=g.context_ids[1]),
        pb.ParentContext(child_id=g.context_ids[3], parent_id=g.context_ids[2]),
    ])

    # The composite writes.
    out = pb.Artifact(type_id=artifact_type_ids[2], uri=f"/data/{tag}/composite", name=f"composite out {tag}")
    out.properties["rows"].int_value = 3
    out_event = pb.Event(type=pb.Event.OUTPUT)
    out_event.path.steps.add().key = "model"
    put_exec = pb.Execution(type_id=execution_type_ids[1], name=f"composite {tag}",
                            last_known_state=pb.Execution.COMPLETE)
    exec_id, composite_artifacts, composite_contexts = store.put_execution(
        put_exec, [(out, out_event)], [pb.Context(type_id=context_type_ids[1], name=f"run 1 {tag}", id=g.context_ids[1])],
    )
    g.execution_ids.append(exec_id)
    g.artifact_ids.extend(composite_artifacts)

    sub_a = pb.Artifact(type_id=artifact_type_ids[2], uri=f"/data/{tag}/subgraph", external_id=f"sub-a-{tag}")
    sub_e = pb.Execution(type_id=execution_type_ids[1], name=f"subgraph exec {tag}")
    sub_c = pb.Context(type_id=context_type_ids[0], name=f"subgraph ctx {tag}")
    sub_event = pb.Event(type=pb.Event.INPUT, milliseconds_since_epoch=1_750_000_000_000)
    sub_event.path.steps.add().index = 0
    sub_event.path.steps.add().key = "ø"
    sub_execs, sub_arts, sub_ctxs = store.put_lineage_subgraph(
        [sub_e], [sub_a], [sub_c], [(0, 0, sub_event)],
    )
    g.execution_ids.extend(sub_execs)
    g.artifact_ids.extend(sub_arts)
    g.context_ids.extend(sub_ctxs)

    g.external_ids = {
        "artifact": [a.external_id for a in artifacts if a.external_id] + [sub_a.external_id, "missing"],
        "execution": [e.external_id for e in executions if e.external_id],
        "context": [c.external_id for c in contexts if c.external_id],
    }
    return g
