"""Comparison of two readers' answers, with the deliberate differences of docs/deviations.md.

Each known difference is applied as a transformation that first ASSERTS the difference is
there in exactly the documented form and then removes it; anything left over is a real
difference and fails the test.
"""

from __future__ import annotations

from google.protobuf import text_format

# Repeated fields whose order upstream leaves to its storage or to a hash set, and ours makes
# deterministic (docs/deviations.md: "Cross-implementation"). Compared as multisets.
ORDER_UNSPECIFIED = {
    "GetArtifactsByURI": ("artifacts", lambda a: a.id),
    "GetEventsByArtifactIDs": ("events", lambda e: (e.artifact_id, e.execution_id, e.type)),
    "GetEventsByExecutionIDs": ("events", lambda e: (e.artifact_id, e.execution_id, e.type)),
}

# Upstream's MySQL by-name type query selects no external_id (storage notes §4.3).
TYPE_BY_NAME = {"GetArtifactType": "artifact_type", "GetExecutionType": "execution_type", "GetContextType": "context_type"}


def _method(label: str) -> str:
    return label.split(" ", 1)[0]


def _sorted(response, field, key):
    copy = type(response)()
    copy.CopyFrom(response)
    items = sorted(getattr(copy, field), key=key)
    del getattr(copy, field)[:]
    getattr(copy, field).extend(items)
    return copy


def canonical(label: str, outcome):
    """Upstream builds lineage subgraphs from hash maps: every list in it is unordered."""
    if outcome[0] != "ok":
        return outcome
    if _method(label) in ORDER_UNSPECIFIED:
        field, key = ORDER_UNSPECIFIED[_method(label)]
        return ("ok", _sorted(outcome[1], field, key))
    if _method(label) != "GetLineageSubgraph":
        return outcome
    response = type(outcome[1])()
    response.CopyFrom(outcome[1])
    graph = response.lineage_subgraph
    for descriptor, _ in graph.ListFields():
        if descriptor.label == descriptor.LABEL_REPEATED:
            items = sorted(getattr(graph, descriptor.name), key=lambda m: m.SerializeToString(deterministic=True))
            del getattr(graph, descriptor.name)[:]
            getattr(graph, descriptor.name).extend(items)
    return ("ok", response)


def canonical_reads(reads: dict) -> dict:
    return {label: canonical(label, outcome) for label, outcome in reads.items()}


def reconcile(label: str, backend: str, upstream, ours):
    """The two outcomes with documented differences checked and removed."""
    method = _method(label)
    upstream, ours = canonical(label, upstream), canonical(label, ours)
    if upstream[0] == "ok" and ours[0] == "ok":
        if method in TYPE_BY_NAME and backend == "mariadb" and upstream[1].HasField(TYPE_BY_NAME[method]):
            field = TYPE_BY_NAME[method]
            stored = getattr(ours[1], field).HasField("external_id")
            assert not getattr(upstream[1], field).HasField("external_id"), f"{label}: upstream returned external_id on MySQL"
            if stored:
                stripped = type(ours[1])()
                stripped.CopyFrom(ours[1])
                getattr(stripped, field).ClearField("external_id")
                return upstream, ("ok", stripped)
        return upstream, ours
    if upstream[0] == "pages" and ours[0] in ("pages", "ok"):
        return _without_repeated_ties(label, upstream, ours)
    return upstream, ours


def _nodes(outcome) -> list:
    pages = outcome[1] if outcome[0] == "pages" else [outcome[1]]
    field = next(f.name for f in pages[0].DESCRIPTOR.fields if f.name in ("artifacts", "executions", "contexts"))
    return [node for page in pages for node in getattr(page, field)]


def _without_repeated_ties(label, upstream, ours):
    """Upstream's paging by a time field repeats rows when equal times span several pages: its
    token remembers only the last page's tied ids (docs/deviations.md, "Paging through equal
    times"). Where upstream repeated rows, ours must be upstream's sequence with the repeats
    dropped; page boundaries then differ, so the node sequences are compared."""
    upstream_nodes = _nodes(upstream)
    seen, first = set(), []
    for node in upstream_nodes:
        if node.id not in seen:
            seen.add(node.id)
            first.append(node)
    if len(first) == len(upstream_nodes):
        return upstream, ours
    return ("nodes", first), ("nodes", _nodes(ours))


def render(outcome) -> str:
    kind, value = outcome
    if kind == "error":
        return f"error {value}"
    pages = value if kind in ("pages", "nodes") else [value]
    return "\n--- next page ---\n".join(text_format.MessageToString(p, as_utf8=True) for p in pages)


def differences(backend: str, upstream: dict, ours: dict, skip=lambda label: False) -> dict[str, str]:
    """label -> readable diff, for every read whose answers differ beyond the documented ways."""
    import difflib

    assert upstream.keys() == ours.keys()
    found = {}
    for label in upstream:
        if skip(label):
            continue
        a, b = reconcile(label, backend, upstream[label], ours[label])
        if a != b:
            diff = difflib.unified_diff(render(a).splitlines(), render(b).splitlines(), "upstream", "ours", lineterm="")
            found[label] = "\n".join(list(diff)[:80])
    return found


def is_lineage(label: str) -> bool:
    return _method(label) == "GetLineageSubgraph"
