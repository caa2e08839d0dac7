// Our proto/ files must describe exactly the messages, enums, services and options that the
// official Python package was generated from: anything else is a wire incompatibility with
// real clients. Only comments (source_code_info) and derived json_names are allowed to differ.
import { beforeAll, describe, expect, it } from 'vitest';
import { FileDescriptorProto } from '../../src/generated/google/protobuf/descriptor';
import { buildOurDescriptors } from './buf_image';
import { defaultJsonName, diffDescriptors, renderDescriptor } from './descriptor_diff';
import { describeWithReferencePython, referenceDescriptors } from './reference_python';

const OUR_FILES = ['ml_metadata/proto/metadata_store.proto', 'ml_metadata/proto/metadata_store_service.proto'];

function copy(file: FileDescriptorProto): FileDescriptorProto {
  return FileDescriptorProto.decode(FileDescriptorProto.encode(file).finish());
}

describeWithReferencePython('wire contract: descriptors match the official package', () => {
  let reference: Map<string, FileDescriptorProto>;
  let ours: Map<string, FileDescriptorProto>;

  beforeAll(() => {
    const ref = referenceDescriptors();
    reference = new Map(ref.files.map((f) => [f.name, FileDescriptorProto.decode(f.serialized)]));
    ours = buildOurDescriptors();
  });

  it('the package ships exactly our two files', () => {
    expect([...reference.keys()].sort()).toEqual([...OUR_FILES].sort());
  });

  for (const name of OUR_FILES) {
    it(`${name} is identical apart from comments`, () => {
      const candidate = ours.get(name);
      expect(candidate, `buf did not build ${name}`).toBeDefined();
      const diff = diffDescriptors(reference.get(name)!, candidate!);
      if (diff.length > 0) {
        throw new Error(
          `${name} differs from the official descriptor (- official, + ours):\n${diff.slice(0, 200).join('\n')}` +
            (diff.length > 200 ? `\n... and ${diff.length - 200} more lines` : ''),
        );
      }
    });
  }

  it('our build really carries comments, and they are what the comparison ignores', () => {
    const built = ours.get(OUR_FILES[0])!;
    expect(built.sourceCodeInfo?.location?.some((l) => (l.leadingComments ?? '').trim().length > 0)).toBe(true);
    expect(diffDescriptors(built, { ...copy(built), sourceCodeInfo: undefined })).toEqual([]);
  });
});

// The diff function is the whole test: show that it sees each kind of change that matters.
// Runs on our own build, so it needs no Python.
describe('descriptor diff', () => {
  let ours: Map<string, FileDescriptorProto>;
  beforeAll(() => {
    ours = buildOurDescriptors();
  });
  describe_mutations(() => ours.get(OUR_FILES[0])!, () => ours.get(OUR_FILES[1])!);
});

function describe_mutations(store: () => FileDescriptorProto, service: () => FileDescriptorProto): void {
  const message = (f: FileDescriptorProto, name: string) => f.messageType!.find((m) => m.name === name)!;
  const field = (f: FileDescriptorProto, msg: string, name: string) => message(f, msg).field!.find((x) => x.name === name)!;

  const cases: { what: string; file: () => FileDescriptorProto; mutate: (f: FileDescriptorProto) => void; expect: RegExp }[] = [
    {
      what: 'a field number',
      file: store,
      mutate: (f) => (field(f, 'Artifact', 'uri').number = 13),
      expect: /^\+ messageType\[Artifact\]\.field\[uri\]\.number = 13$/m,
    },
    {
      what: 'a field name',
      file: store,
      mutate: (f) => (field(f, 'Artifact', 'uri').name = 'url'),
      expect: /^- messageType\[Artifact\]\.field#order = .*\buri\b/m,
    },
    {
      what: 'a field label (optional -> required)',
      file: store,
      mutate: (f) => (field(f, 'Artifact', 'type_id').label = 2),
      expect: /^\+ messageType\[Artifact\]\.field\[type_id\]\.label = LABEL_REQUIRED$/m,
    },
    {
      what: 'a scalar type (int64 -> int32)',
      file: store,
      mutate: (f) => (field(f, 'Artifact', 'id').type = 5),
      expect: /^\+ messageType\[Artifact\]\.field\[id\]\.type = TYPE_INT32$/m,
    },
    {
      what: 'declaration order of fields',
      file: store,
      mutate: (f) => message(f, 'Artifact').field!.reverse(),
      expect: /^\+ messageType\[Artifact\]\.field#order = system_metadata, /m,
    },
    {
      what: 'a declared default',
      file: store,
      mutate: (f) => (message(f, 'ListOperationOptions').field!.find((x) => x.name === 'max_result_size')!.defaultValue = '100'),
      expect: /^\+ messageType\[ListOperationOptions\]\.field\[max_result_size\]\.defaultValue = "100"$/m,
    },
    {
      what: 'an enum value number',
      file: store,
      mutate: (f) => (message(f, 'Artifact').enumType![0].value!.find((v) => v.name === 'LIVE')!.number = 7),
      expect: /^\+ messageType\[Artifact\]\.enumType\[State\]\.value\[LIVE\]\.number = 7$/m,
    },
    {
      what: 'a custom enum-value option (system_type_extension bytes)',
      file: store,
      mutate: (f) => {
        const unset = message(f, 'ArtifactType').enumType![0].value![0];
        const chunks = unset.options!._unknownFields!;
        const tag = Object.keys(chunks)[0];
        const bytes = Buffer.from(chunks[Number(tag)][0]);
        bytes[bytes.length - 1] ^= 1; // flip the last character of "unset_artifact_type"
        chunks[Number(tag)] = [bytes];
      },
      expect: /^\+ messageType\[ArtifactType\]\.enumType\[SystemDefinedBaseType\]\.value\[UNSET\]\.options\.unknown\[field 384560917\]\[0\] = 0x/m,
    },
    {
      what: 'a non-default json_name',
      file: store,
      mutate: (f) => (field(f, 'Artifact', 'external_id').jsonName = 'externalID'),
      expect: /^\+ messageType\[Artifact\]\.field\[external_id\]\.jsonName = "externalID"$/m,
    },
    {
      what: 'a packed option',
      file: service,
      mutate: (f) => (field(f, 'PutLineageSubgraphResponse', 'execution_ids').options = undefined),
      expect: /^- messageType\[PutLineageSubgraphResponse\]\.field\[execution_ids\]\.options\.packed = true$/m,
    },
    {
      what: 'a method input type',
      file: service,
      mutate: (f) => (f.service![0].method!.find((m) => m.name === 'GetArtifacts')!.inputType = '.ml_metadata.GetExecutionsRequest'),
      expect: /^\+ service\[MetadataStoreService\]\.method\[GetArtifacts\]\.inputType = "\.ml_metadata\.GetExecutionsRequest"$/m,
    },
    {
      what: 'a reserved range',
      file: service,
      mutate: (f) => (message(f, 'GetArtifactsByURIRequest').reservedRange = []),
      expect: /^- messageType\[GetArtifactsByURIRequest\]\.reservedRange\[0\]\.start = 1$/m,
    },
    {
      what: 'the syntax',
      file: store,
      mutate: (f) => (f.syntax = 'proto3'),
      expect: /^\+ syntax = "proto3"$/m,
    },
  ];

  for (const c of cases) {
    it(`the diff reports a changed ${c.what}`, () => {
      const original = c.file();
      const mutated = copy(original);
      c.mutate(mutated);
      expect(diffDescriptors(original, mutated).join('\n')).toMatch(c.expect);
    });
  }

  it('the diff ignores comments and derived json_names, and nothing else when unchanged', () => {
    const original = store();
    expect(diffDescriptors(original, copy(original))).toEqual([]);
    const annotated = copy(original);
    annotated.sourceCodeInfo = { location: [{ path: [4, 0], span: [1, 0, 3], leadingComments: ' hi\n', trailingComments: undefined, leadingDetachedComments: [] }] };
    for (const m of annotated.messageType!) for (const x of m.field ?? []) x.jsonName = defaultJsonName(x.name!);
    expect(diffDescriptors(original, annotated)).toEqual([]);
    // ...while the rendering itself is far from empty (so "no diff" is not "nothing compared").
    expect(renderDescriptor(original).length).toBeGreaterThan(500);
  });

  it('derives json names the way protoc does', () => {
    expect(defaultJsonName('milliseconds_since_epoch')).toBe('millisecondsSinceEpoch');
    expect(defaultJsonName('id')).toBe('id');
    expect(defaultJsonName('ssloption')).toBe('ssloption');
  });
}
