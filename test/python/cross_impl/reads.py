"""Every read RPC upstream's library serves, asked about one written graph.

Requests go through `MetadataStore._call`, which both modes share: in-process it calls
upstream's C++ library, over gRPC our server. So both readers receive the same request protos
and return response protos that can be compared as they are.
"""

from __future__ import annotations

from ml_metadata import errors
from ml_metadata.proto import metadata_store_pb2 as pb
from ml_metadata.proto import metadata_store_service_pb2 as svc

from graph import Graph

KINDS = {"artifact": "Artifact", "execution": "Execution", "context": "Context"}

# Listing options every node listing is asked with (all pages are followed).
LIST_OPTIONS = [
    None,
    pb.ListOperationOptions(max_result_size=3, order_by_field=pb.ListOperationOptions.OrderByField(
        field=pb.ListOperationOptions.OrderByField.ID, is_asc=True)),
    pb.ListOperationOptions(max_result_size=4, order_by_field=pb.ListOperationOptions.OrderByField(
        field=pb.ListOperationOptions.OrderByField.CREATE_TIME, is_asc=False)),
    pb.ListOperationOptions(max_result_size=5, order_by_field=pb.ListOperationOptions.OrderByField(
        field=pb.ListOperationOptions.OrderByField.LAST_UPDATE_TIME, is_asc=True)),
]


def _filters(kind: str, g: Graph) -> list[str]:
    """Filter queries touching columns, properties, types, contexts and non-ASCII text."""
    common = [
        f"name LIKE '%{g.tag}%'",
        "custom_properties.int_zero.int_value = 0",
        "custom_properties.double_half.double_value > 0.25",
        "custom_properties.text_cjk.string_value = '漢字'",
        "custom_properties.true.bool_value = true",
        f"type = '{ {'artifact': 'Model', 'execution': 'Trainer', 'context': 'Run'}[kind] }_{g.tag}'",
        "properties.p_int.int_value >= 43 AND external_id IS NOT NULL",
    ]
    if kind == "artifact":
        common += ["uri LIKE '%é漢😀%'", "state = LIVE OR state = DELETED",
                   f"contexts_a.name = 'run 1 {g.tag}'", "events_0.type = INPUT"]
    if kind == "execution":
        common += ["last_known_state = COMPLETE", f"contexts_a.name = 'run 1 {g.tag}'"]
    if kind == "context":
        common += [f"parent_contexts_a.name = 'pipeline 😀🚀 {g.tag}'", f"child_contexts_a.name = 'sub-run {g.tag}'"]
    return common


def _call(store, method: str, request):
    """('ok', response) or ('error', status name). Pages are followed for list calls."""
    response = getattr(svc, method + "Response")()
    try:
        store._call(method, request, response)
    except errors.StatusError as e:  # each error class carries the status code
        return ("error", type(e).__name__)
    pages = [response]
    while getattr(response, "next_page_token", "") and len(pages) < 50:
        request.options.next_page_token = response.next_page_token
        response = getattr(svc, method + "Response")()
        try:
            store._call(method, request, response)
        except errors.StatusError as e:
            return ("error", type(e).__name__)
        pages.append(response)
    if len(pages) == 1:
        return ("ok", pages[0])
    return ("pages", pages)


def read_everything(store, g: Graph) -> dict[str, tuple]:
    out: dict[str, tuple] = {}

    def ask(label: str, method: str, request) -> None:
        out[f"{method} {label}"] = _call(store, method, request)

    for kind, Kind in KINDS.items():
        ask("", f"Get{Kind}Types", getattr(svc, f"Get{Kind}TypesRequest")())
        ids = g.type_ids[kind]
        ask(str(ids), f"Get{Kind}TypesByID", getattr(svc, f"Get{Kind}TypesByIDRequest")(type_ids=ids + [987654]))
        ext = g.type_external_ids[kind]
        ask(str(ext), f"Get{Kind}TypesByExternalIds",
            getattr(svc, f"Get{Kind}TypesByExternalIdsRequest")(external_ids=ext + ["missing"]))
        for name, version in getattr(g, f"{kind}_types") + [("NoSuchType", None)]:
            request = getattr(svc, f"Get{Kind}TypeRequest")(type_name=name)
            if version:
                request.type_version = version
            ask(f"{name}@{version}", f"Get{Kind}Type", request)

        node_ids = getattr(g, f"{kind}_ids")
        ask(str(node_ids), f"Get{Kind}sByID", getattr(svc, f"Get{Kind}sByIDRequest")(
            **{f"{kind}_ids": node_ids + [987654]}))
        if kind == "artifact":
            ask("populated", "GetArtifactsByID",
                svc.GetArtifactsByIDRequest(artifact_ids=node_ids, populate_artifact_types=True))
            ask(str(g.uris), "GetArtifactsByURI", svc.GetArtifactsByURIRequest(uris=g.uris))
        ask(str(g.external_ids[kind]), f"Get{Kind}sByExternalIds",
            getattr(svc, f"Get{Kind}sByExternalIdsRequest")(external_ids=g.external_ids[kind]))
        for i, options in enumerate(LIST_OPTIONS):
            request = getattr(svc, f"Get{Kind}sRequest")()
            if options is not None:
                request.options.CopyFrom(options)
            ask(f"options#{i}", f"Get{Kind}s", request)
            for name, version in getattr(g, f"{kind}_types"):
                request = getattr(svc, f"Get{Kind}sByTypeRequest")(type_name=name)
                if version:
                    request.type_version = version
                if options is not None:
                    request.options.CopyFrom(options)
                ask(f"{name}@{version} options#{i}", f"Get{Kind}sByType", request)
        for filter_query in _filters(kind, g):
            request = getattr(svc, f"Get{Kind}sRequest")()
            request.options.filter_query = filter_query
            request.options.max_result_size = 100
            ask(f"filter {filter_query}", f"Get{Kind}s", request)
        for type_name, version, node_name in getattr(g, f"{kind}_names"):
            request = getattr(svc, f"Get{Kind}ByTypeAndNameRequest")(type_name=type_name, **{f"{kind}_name": node_name})
            if version:
                request.type_version = version
            ask(f"{type_name}@{version}/{node_name}", f"Get{Kind}ByTypeAndName", request)

    for context_id in g.context_ids + [987654]:
        for Kind in ("Artifact", "Execution"):
            ask(str(context_id), f"Get{Kind}sByContext", getattr(svc, f"Get{Kind}sByContextRequest")(context_id=context_id))
            request = getattr(svc, f"Get{Kind}sByContextRequest")(context_id=context_id)
            request.options.CopyFrom(LIST_OPTIONS[1])
            ask(f"{context_id} paged", f"Get{Kind}sByContext", request)
        ask(str(context_id), "GetParentContextsByContext", svc.GetParentContextsByContextRequest(context_id=context_id))
        ask(str(context_id), "GetChildrenContextsByContext", svc.GetChildrenContextsByContextRequest(context_id=context_id))
    for artifact_id in g.artifact_ids:
        ask(str(artifact_id), "GetContextsByArtifact", svc.GetContextsByArtifactRequest(artifact_id=artifact_id))
    for execution_id in g.execution_ids:
        ask(str(execution_id), "GetContextsByExecution", svc.GetContextsByExecutionRequest(execution_id=execution_id))
    ask("all", "GetEventsByArtifactIDs", svc.GetEventsByArtifactIDsRequest(artifact_ids=g.artifact_ids))
    ask("all", "GetEventsByExecutionIDs", svc.GetEventsByExecutionIDsRequest(execution_ids=g.execution_ids))
    for artifact_id in g.artifact_ids[:3]:
        ask(str(artifact_id), "GetEventsByArtifactIDs", svc.GetEventsByArtifactIDsRequest(artifact_ids=[artifact_id]))
    for execution_id in g.execution_ids[:3]:
        ask(str(execution_id), "GetEventsByExecutionIDs", svc.GetEventsByExecutionIDsRequest(execution_ids=[execution_id]))

    for label, query in _lineage_queries(g).items():
        ask(label, "GetLineageSubgraph", svc.GetLineageSubgraphRequest(lineage_subgraph_query_options=query))
    return out


def _lineage_queries(g: Graph) -> dict[str, pb.LineageSubgraphQueryOptions]:
    Options = pb.LineageSubgraphQueryOptions
    queries = {}
    for hops in (0, 1, 3):
        for direction in (Options.UPSTREAM, Options.DOWNSTREAM, Options.BIDIRECTIONAL):
            q = Options(max_num_hops=hops, direction=direction)
            q.starting_artifacts.filter_query = f"uri LIKE '/data/{g.tag}/%'"
            queries[f"artifacts hops={hops} dir={direction}"] = q
    q = Options(max_num_hops=2, direction=Options.BIDIRECTIONAL)
    q.starting_executions.filter_query = f"name = 'exec 1 漢 {g.tag}'"
    queries["one execution"] = q
    return queries
