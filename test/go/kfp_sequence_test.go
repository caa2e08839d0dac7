// Package kfpclient_test replays the RPCs of one Kubeflow Pipelines v2 run (clients.md §4) with
// the generated Go stubs KFP's driver and launcher import
// (github.com/kubeflow/pipelines/third_party/ml-metadata/go/ml_metadata, MLMD 1.14 protos),
// against our server started by the test on SQLite and, when the environment names them
// (MLMD_TEST_MARIADB_* / MLMD_TEST_POSTGRES_*, as test/support sets), MariaDB and PostgreSQL.
//
// KFP's higher-level client (backend/src/v2/metadata) is not importable here: the root
// kubeflow/pipelines module and its dependencies are not served by the module proxy this
// repository can reach, so its calls are reproduced request by request.
package kfpclient_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	pb "github.com/kubeflow/pipelines/third_party/ml-metadata/go/ml_metadata"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	pipelineName = "hello-pipeline"
	namespace    = "kubeflow"
	// KFP's METADATA_GRPC_MESSAGE_SIZE default.
	messageSize = 100 << 20
)

func repoRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// backendFlags lists the backends this run can reach, with the flags that put a server on a
// brand-new database of each.
func backendFlags(t *testing.T) map[string][]string {
	db := fmt.Sprintf("mlmd_go_%d", time.Now().UnixNano())
	backends := map[string][]string{"sqlite": {"--sqlite_path=" + filepath.Join(t.TempDir(), "metadata.sqlite")}}
	if host, port := os.Getenv("MLMD_TEST_MARIADB_HOST"), os.Getenv("MLMD_TEST_MARIADB_PORT"); host != "" && port != "" {
		backends["mariadb"] = []string{
			"--mysql_config_host=" + host, "--mysql_config_port=" + port, "--mysql_config_database=" + db,
			"--mysql_config_user=" + os.Getenv("MLMD_TEST_MARIADB_USER"), "--mysql_config_password=" + os.Getenv("MLMD_TEST_MARIADB_PASSWORD"),
		}
	}
	if host, port := os.Getenv("MLMD_TEST_POSTGRES_HOST"), os.Getenv("MLMD_TEST_POSTGRES_PORT"); host != "" && port != "" {
		backends["postgres"] = []string{
			"--metadata_source_config_type=postgresql",
			"--postgres_config_host=" + host, "--postgres_config_port=" + port, "--postgres_config_dbname=" + db,
			"--postgres_config_user=" + os.Getenv("MLMD_TEST_POSTGRES_USER"), "--postgres_config_password=" + os.Getenv("MLMD_TEST_POSTGRES_PASSWORD"),
		}
	}
	if only := os.Getenv("MLMD_TEST_BACKENDS"); only != "" {
		for name := range backends {
			if !strings.Contains(","+only+",", ","+name+",") {
				delete(backends, name)
			}
		}
	}
	return backends
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startServer runs src/main.ts (or MLMD_SERVER_CMD) and returns once its port accepts connections.
func startServer(t *testing.T, flags []string) string {
	port := freePort(t)
	command := []string{"node", "--import", "tsx", filepath.Join(repoRoot(t), "src", "main.ts")}
	if override := os.Getenv("MLMD_SERVER_CMD"); override != "" {
		command = strings.Fields(override)
	}
	command = append(command, fmt.Sprintf("--grpc_port=%d", port), "--metrics_port=0", "--log_level=warn")
	command = append(command, flags...)
	log := &strings.Builder{}
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Dir = repoRoot(t)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot start the server: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	address := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("server exited during start-up (%v):\n%s", err, log.String())
		default:
		}
		if conn, err := net.DialTimeout("tcp", address, 500*time.Millisecond); err == nil {
			conn.Close()
			return address
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not open %s within 60 s:\n%s", address, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestKubeflowRunSequence(t *testing.T) {
	for name, flags := range backendFlags(t) {
		flags := flags
		t.Run(name, func(t *testing.T) {
			address := startServer(t, flags)
			conn, err := grpc.NewClient(address,
				grpc.WithTransportCredentials(insecure.NewCredentials()),
				grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(messageSize), grpc.MaxCallSendMsgSize(messageSize)))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			replayRun(t, &kfp{t: t, c: pb.NewMetadataStoreServiceClient(conn), ctx: context.Background()})
		})
	}
}

// kfp holds what one KFP process (driver or launcher) holds: a stub and no cached ids.
type kfp struct {
	t   *testing.T
	c   pb.MetadataStoreServiceClient
	ctx context.Context
}

// must(call())(t, "what") fails the test when the call returned an error.
func must[T any](v T, err error) func(t *testing.T, what string) T {
	return func(t *testing.T, what string) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

func str(v string) *pb.Value { return &pb.Value{Value: &pb.Value_StringValue{StringValue: v}} }
func num(v int64) *pb.Value  { return &pb.Value{Value: &pb.Value_IntValue{IntValue: v}} }
func structOf(t *testing.T, m map[string]any) *pb.Value {
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return &pb.Value{Value: &pb.Value_StructValue{StructValue: s}}
}

func path(key string) *pb.Event_Path {
	return &pb.Event_Path{Steps: []*pb.Event_Path_Step{{Value: &pb.Event_Path_Step_Key{Key: key}}}}
}

func ids[T interface{ GetId() int64 }](nodes []T) []int64 {
	out := make([]int64, len(nodes))
	for i, n := range nodes {
		out[i] = n.GetId()
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func sameIDs(t *testing.T, what string, got []int64, want ...int64) {
	t.Helper()
	sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: got ids %v, want %v", what, got, want)
	}
}

// contextTypeID: GetContextType, NOT_FOUND -> PutContextType (KFP's getContextTypeID).
func (k *kfp) contextTypeID(name string) int64 {
	got, err := k.c.GetContextType(k.ctx, &pb.GetContextTypeRequest{TypeName: proto.String(name)})
	if err == nil {
		return got.GetContextType().GetId()
	}
	if status.Code(err) != codes.NotFound {
		k.t.Fatalf("GetContextType %s: want NOT_FOUND when absent, got %v", name, err)
	}
	put := must(k.c.PutContextType(k.ctx, &pb.PutContextTypeRequest{ContextType: &pb.ContextType{Name: proto.String(name)}}))(k.t, "PutContextType")
	return put.GetTypeId()
}

func (k *kfp) getOrInsertContext(typeName, name string, props map[string]*pb.Value) *pb.Context {
	req := &pb.GetContextByTypeAndNameRequest{TypeName: proto.String(typeName), ContextName: proto.String(name)}
	if got := must(k.c.GetContextByTypeAndName(k.ctx, req))(k.t, "GetContextByTypeAndName"); got.GetContext() != nil {
		return got.GetContext()
	}
	_, err := k.c.PutContexts(k.ctx, &pb.PutContextsRequest{Contexts: []*pb.Context{{Name: proto.String(name), TypeId: proto.Int64(k.contextTypeID(typeName)), CustomProperties: props}}})
	if err != nil && status.Code(err) != codes.AlreadyExists {
		k.t.Fatalf("PutContexts: %v", err)
	}
	got := must(k.c.GetContextByTypeAndName(k.ctx, req))(k.t, "GetContextByTypeAndName")
	if got.GetContext() == nil || got.GetContext().GetType() != typeName {
		k.t.Fatalf("context %s/%s not readable after PutContexts: %v", typeName, name, got)
	}
	return got.GetContext()
}

func (k *kfp) getPipeline(runID string) (*pb.Context, *pb.Context) {
	pipeline := k.getOrInsertContext("system.Pipeline", pipelineName, nil)
	run := k.getOrInsertContext("system.PipelineRun", runID, map[string]*pb.Value{
		"namespace": str(namespace), "resource_name": str("run-resource"),
		"pipeline_root":      str("minio://mlpipeline/v2/artifacts/" + pipelineName + "/" + runID),
		"store_session_info": str(`{"Provider":"minio","Params":{}}`),
	})
	parents := must(k.c.GetParentContextsByContext(k.ctx, &pb.GetParentContextsByContextRequest{ContextId: run.Id}))(k.t, "GetParentContextsByContext").GetContexts()
	switch {
	case len(parents) == 0:
		_, err := k.c.PutParentContexts(k.ctx, &pb.PutParentContextsRequest{ParentContexts: []*pb.ParentContext{{ChildId: run.Id, ParentId: pipeline.Id}}})
		if err != nil && status.Code(err) != codes.AlreadyExists {
			k.t.Fatalf("PutParentContexts: %v", err)
		}
	case len(parents) != 1 || parents[0].GetId() != pipeline.GetId():
		k.t.Fatalf("run context parents %v, want exactly the pipeline context %d", ids(parents), pipeline.GetId())
	}
	return pipeline, run
}

func (k *kfp) execution(id int64) *pb.Execution {
	got := must(k.c.GetExecutionsByID(k.ctx, &pb.GetExecutionsByIDRequest{ExecutionIds: []int64{id}}))(k.t, "GetExecutionsByID").GetExecutions()
	if len(got) != 1 {
		k.t.Fatalf("execution %d: got %d executions", id, len(got))
	}
	return got[0]
}

func (k *kfp) createExecution(typeName string, name *string, props map[string]*pb.Value, contexts []*pb.Context, pairs []*pb.PutExecutionRequest_ArtifactAndEvent) *pb.Execution {
	typeID := must(k.c.PutExecutionType(k.ctx, &pb.PutExecutionTypeRequest{ExecutionType: &pb.ExecutionType{Name: proto.String(typeName)}}))(k.t, "PutExecutionType").GetTypeId()
	put := must(k.c.PutExecution(k.ctx, &pb.PutExecutionRequest{
		Execution:          &pb.Execution{TypeId: proto.Int64(typeID), Name: name, LastKnownState: pb.Execution_RUNNING.Enum(), CustomProperties: props},
		Contexts:           contexts,
		ArtifactEventPairs: pairs,
	}))(k.t, "PutExecution")
	if fmt.Sprint(put.GetContextIds()) != fmt.Sprint([]int64{contexts[0].GetId(), contexts[1].GetId()}) {
		k.t.Fatalf("PutExecution context_ids %v, want the request's order", put.GetContextIds())
	}
	got := k.execution(put.GetExecutionId())
	if got.GetType() != typeName {
		k.t.Fatalf("execution type %q, want %q", got.GetType(), typeName)
	}
	return got
}

// children is the driver's sibling lookup: filtered by parent_dag_id, paged by token.
func (k *kfp) children(run *pb.Context, dagID int64) ([]*pb.Execution, int) {
	var all []*pb.Execution
	token, pages := "", 0
	for {
		page := must(k.c.GetExecutionsByContext(k.ctx, &pb.GetExecutionsByContextRequest{
			ContextId: run.Id,
			Options:   &pb.ListOperationOptions{FilterQuery: proto.String(fmt.Sprintf("custom_properties.parent_dag_id.int_value = %d", dagID)), NextPageToken: proto.String(token)},
		}))(k.t, "GetExecutionsByContext")
		all = append(all, page.GetExecutions()...)
		pages++
		if token = page.GetNextPageToken(); token == "" || pages > 50 {
			return all, pages
		}
	}
}

func (k *kfp) recordArtifact(schemaTitle, uri, displayName string) *pb.Artifact {
	typeID := must(k.c.PutArtifactType(k.ctx, &pb.PutArtifactTypeRequest{ArtifactType: &pb.ArtifactType{Name: proto.String(schemaTitle)}}))(k.t, "PutArtifactType").GetTypeId()
	put := must(k.c.PutArtifacts(k.ctx, &pb.PutArtifactsRequest{Artifacts: []*pb.Artifact{{
		TypeId: proto.Int64(typeID), Uri: proto.String(uri), State: pb.Artifact_LIVE.Enum(),
		CustomProperties: map[string]*pb.Value{"display_name": str(displayName), "store_session_info": str("{}")},
	}}}))(k.t, "PutArtifacts")
	got := must(k.c.GetArtifactsByID(k.ctx, &pb.GetArtifactsByIDRequest{ArtifactIds: put.GetArtifactIds()}))(k.t, "GetArtifactsByID").GetArtifacts()
	if len(got) != 1 || got[0].GetType() != schemaTitle || got[0].GetUri() != uri {
		k.t.Fatalf("artifact read back as %v", got)
	}
	return got[0]
}

func outputPair(artifactID int64, key string) *pb.PutExecutionRequest_ArtifactAndEvent {
	return &pb.PutExecutionRequest_ArtifactAndEvent{Event: &pb.Event{ArtifactId: proto.Int64(artifactID), Type: pb.Event_OUTPUT.Enum(), Path: path(key)}}
}

func replayRun(t *testing.T, root *kfp) {
	runID := fmt.Sprintf("run-%d", time.Now().UnixNano())
	c, ctx := root.c, root.ctx

	// §4.1 root driver on an empty store.
	if got := must(c.GetContextByTypeAndName(ctx, &pb.GetContextByTypeAndNameRequest{TypeName: proto.String("system.Pipeline"), ContextName: proto.String(pipelineName)}))(t, "GetContextByTypeAndName"); got.GetContext() != nil {
		t.Fatalf("fresh store returned a context: %v", got)
	}
	pipeline, run := root.getPipeline(runID)
	rootProps := map[string]*pb.Value{"display_name": str(""), "task_name": str(""), "inputs": structOf(t, map[string]any{"message": "hello"})}
	dag := root.createExecution("system.DAGExecution", proto.String("run/"+runID), rootProps, []*pb.Context{pipeline, run}, nil)

	// Argo retry of the root driver: ALREADY_EXISTS, then lookup by name.
	_, err := c.PutExecution(ctx, &pb.PutExecutionRequest{Execution: &pb.Execution{TypeId: dag.TypeId, Name: dag.Name, LastKnownState: pb.Execution_RUNNING.Enum()}, Contexts: []*pb.Context{pipeline, run}})
	if status.Code(err) != codes.AlreadyExists {
		t.Fatalf("duplicate root DAG execution: want ALREADY_EXISTS, got %v", err)
	}
	byName := must(c.GetExecutionByTypeAndName(ctx, &pb.GetExecutionByTypeAndNameRequest{TypeName: proto.String("system.DAGExecution"), ExecutionName: dag.Name}))(t, "GetExecutionByTypeAndName")
	if byName.GetExecution().GetId() != dag.GetId() {
		t.Fatalf("GetExecutionByTypeAndName: %v", byName)
	}

	// §4.2 container driver for print-msg.
	driver := &kfp{t: t, c: c, ctx: ctx}
	p2, r2 := driver.getPipeline(runID)
	if p2.GetId() != pipeline.GetId() || r2.GetId() != run.GetId() {
		t.Fatalf("second process sees other contexts")
	}
	parent := driver.execution(dag.GetId())
	driver.contextTypeID("system.Pipeline")
	driver.contextTypeID("system.PipelineRun")
	dagContexts := must(c.GetContextsByExecution(ctx, &pb.GetContextsByExecutionRequest{ExecutionId: dag.Id}))(t, "GetContextsByExecution").GetContexts()
	sameIDs(t, "contexts of the DAG", ids(dagContexts), pipeline.GetId(), run.GetId())
	events := must(c.GetEventsByExecutionIDs(ctx, &pb.GetEventsByExecutionIDsRequest{ExecutionIds: []int64{dag.GetId()}}))(t, "GetEventsByExecutionIDs").GetEvents()
	noArtifacts := must(c.GetArtifactsByID(ctx, &pb.GetArtifactsByIDRequest{ArtifactIds: []int64{}}))(t, "GetArtifactsByID with no ids").GetArtifacts()
	if len(events) != 0 || len(noArtifacts) != 0 {
		t.Fatalf("DAG inputs: events %v, artifacts %v", events, noArtifacts)
	}
	taskProps := map[string]*pb.Value{
		"display_name": str("print-msg"), "task_name": str("print-msg"), "parent_dag_id": num(dag.GetId()),
		"pod_name": str(""), "pod_uid": str(""), "namespace": str(""), "image": str("python:3.11"),
		"cache_fingerprint": str("f1ng3rpr1nt"), "inputs": parent.GetCustomProperties()["inputs"],
	}
	task := driver.createExecution("system.ContainerExecution", nil, taskProps, []*pb.Context{pipeline, run}, nil)
	for i := 0; i < 21; i++ { // siblings, so the child lookup needs a second page
		driver.createExecution("system.ContainerExecution", nil, map[string]*pb.Value{"task_name": str(fmt.Sprintf("t%d", i)), "parent_dag_id": num(dag.GetId())}, []*pb.Context{pipeline, run}, nil)
	}
	kids, pages := driver.children(run, dag.GetId())
	if len(kids) != 22 || pages != 2 {
		t.Fatalf("child lookup: %d executions in %d pages, want 22 in 2", len(kids), pages)
	}

	// §4.3 launcher: prePublish echo, artifacts, publish.
	launcher := &kfp{t: t, c: c, ctx: ctx}
	running := launcher.execution(task.GetId())
	launcher.contextTypeID("system.Pipeline")
	launcher.contextTypeID("system.PipelineRun")
	must(c.GetContextsByExecution(ctx, &pb.GetContextsByExecutionRequest{ExecutionId: task.Id}))(t, "GetContextsByExecution")
	running.CustomProperties["pod_name"] = str("print-msg-pod")
	running.CustomProperties["namespace"] = str(namespace)
	if put := must(c.PutExecution(ctx, &pb.PutExecutionRequest{Execution: running}))(t, "PutExecution (prePublish)"); put.GetExecutionId() != task.GetId() {
		t.Fatalf("prePublish updated %d, want %d", put.GetExecutionId(), task.GetId())
	}
	running = launcher.execution(task.GetId())
	if running.GetCustomProperties()["pod_name"].GetStringValue() != "print-msg-pod" || running.GetCustomProperties()["cache_fingerprint"].GetStringValue() != "f1ng3rpr1nt" {
		t.Fatalf("after prePublish: %v", running.GetCustomProperties())
	}
	base := "minio://mlpipeline/v2/artifacts/" + pipelineName + "/" + runID + "/print-msg/"
	out := launcher.recordArtifact("system.Dataset", base+"out", "out")
	logs := launcher.recordArtifact("system.Artifact", base+"executor-logs", "executor-logs")
	running.LastKnownState = pb.Execution_COMPLETE.Enum()
	running.CustomProperties["outputs"] = structOf(t, map[string]any{"Output": "hello!"})
	put := must(c.PutExecution(ctx, &pb.PutExecutionRequest{
		Execution: running, Contexts: []*pb.Context{pipeline, run},
		ArtifactEventPairs: []*pb.PutExecutionRequest_ArtifactAndEvent{outputPair(out.GetId(), "out"), outputPair(logs.GetId(), "executor-logs")},
	}))(t, "PutExecution (publish)")
	if fmt.Sprint(put.GetArtifactIds()) != fmt.Sprint([]int64{out.GetId(), logs.GetId()}) {
		t.Fatalf("publish artifact_ids %v", put.GetArtifactIds())
	}
	published := launcher.execution(task.GetId())
	if published.GetLastKnownState() != pb.Execution_COMPLETE || published.GetCustomProperties()["outputs"].GetStructValue().AsMap()["Output"] != "hello!" {
		t.Fatalf("published execution %v", published)
	}
	outEvents := must(c.GetEventsByExecutionIDs(ctx, &pb.GetEventsByExecutionIDsRequest{ExecutionIds: []int64{task.GetId()}}))(t, "GetEventsByExecutionIDs").GetEvents()
	keys := map[string]int64{}
	for _, e := range outEvents {
		if e.GetType() != pb.Event_OUTPUT || e.GetMillisecondsSinceEpoch() <= 0 {
			t.Fatalf("event %v: want a stamped OUTPUT event", e)
		}
		keys[e.GetPath().GetSteps()[0].GetKey()] = e.GetArtifactId()
	}
	if keys["out"] != out.GetId() || keys["executor-logs"] != logs.GetId() || len(keys) != 2 {
		t.Fatalf("output events by key: %v", keys)
	}
	attributed := must(c.GetContextsByArtifact(ctx, &pb.GetContextsByArtifactRequest{ArtifactId: out.Id}))(t, "GetContextsByArtifact").GetContexts()
	sameIDs(t, "contexts of the output artifact", ids(attributed), pipeline.GetId(), run.GetId())

	// Importer: GetArtifactType NOT_FOUND -> PutArtifactType; GetArtifactsByURI finds the output.
	if _, err := c.GetArtifactType(ctx, &pb.GetArtifactTypeRequest{TypeName: proto.String("system.Model")}); status.Code(err) != codes.NotFound {
		t.Fatalf("GetArtifactType of a missing type: want NOT_FOUND, got %v", err)
	}
	byURI := must(c.GetArtifactsByURI(ctx, &pb.GetArtifactsByURIRequest{Uris: []string{out.GetUri()}}))(t, "GetArtifactsByURI").GetArtifacts()
	sameIDs(t, "artifacts by URI", ids(byURI), out.GetId())
	cached := must(c.GetEventsByArtifactIDs(ctx, &pb.GetEventsByArtifactIDsRequest{ArtifactIds: []int64{out.GetId()}}))(t, "GetEventsByArtifactIDs").GetEvents()
	if len(cached) != 1 || cached[0].GetExecutionId() != task.GetId() {
		t.Fatalf("events of the output artifact: %v", cached)
	}

	// §7 e2e test reads: the run by single-quoted name, its executions without options.
	runs := must(c.GetContexts(ctx, &pb.GetContextsRequest{Options: &pb.ListOperationOptions{FilterQuery: proto.String("name = '" + runID + "'")}}))(t, "GetContexts").GetContexts()
	sameIDs(t, "GetContexts by name", ids(runs), run.GetId())
	all := must(c.GetExecutionsByContext(ctx, &pb.GetExecutionsByContextRequest{ContextId: run.Id}))(t, "GetExecutionsByContext").GetExecutions()
	if len(all) != 23 || all[0].GetType() != "system.DAGExecution" || all[1].GetType() != "system.ContainerExecution" {
		t.Fatalf("executions of the run: %d, first types %q %q", len(all), all[0].GetType(), all[1].GetType())
	}
}
