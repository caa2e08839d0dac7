# mlmd-ts server image: a drop-in for upstream's gcr.io/tfx-oss-public/ml_metadata_store_server.
#
#   docker build -t mlmd-ts .
#   docker run -p 8080:8080 -p 9464:9464 mlmd-ts --grpc_port=8080 --mysql_config_host=...
#
# Both stages use the same Debian release, so the better-sqlite3 addon compiled in the first
# runs against the same glibc in the second.
ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build

# Toolchain for node-gyp: better-sqlite3 is compiled here rather than fetched as a prebuilt
# binary, so the image does not depend on a download matching this exact Node/glibc.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*
# prebuild-install skips its download and falls back to `node-gyp rebuild`; node-gyp takes
# the headers of the Node in this image instead of downloading them.
ENV npm_config_build_from_source=true \
    npm_config_nodedir=/usr/local

WORKDIR /app
# `npm ci` runs the prepare script (`npm run generate`: buf + ts-proto), which needs the
# protos and buf's configuration, so they come before it.
COPY package.json package-lock.json .npmrc buf.yaml buf.gen.yaml ./
COPY proto ./proto
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
# Generates src/generated/ (code and the *.binpb descriptor sets) and compiles to dist/.
RUN npm run build \
  && test -f dist/src/main.js \
  && test -f src/generated/mlmd_descriptors.binpb \
  && test -f src/generated/health_descriptors.binpb
# Keep only runtime dependencies (the compiled better-sqlite3 stays).
RUN npm prune --omit=dev --ignore-scripts \
  && node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime

LABEL org.opencontainers.image.title="mlmd-ts" \
      org.opencontainers.image.description="ML Metadata gRPC server (ml_metadata.MetadataStoreService), drop-in for metadata_store_server" \
      org.opencontainers.image.licenses="Apache-2.0"

# Upstream's image sets these two; deploy/image/metadata_store_server turns them into flags.
ENV NODE_ENV=production \
    GRPC_PORT=8080 \
    METADATA_STORE_SERVER_CONFIG_FILE=""

WORKDIR /app
# Layout mirrors the repository: the server finds proto/ (text-format config parsing) and
# src/generated/*.binpb (gRPC reflection) by walking up from dist/src/.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/proto ./proto
COPY --from=build /app/src/generated/mlmd_descriptors.binpb /app/src/generated/health_descriptors.binpb ./src/generated/
COPY deploy/image/metadata_store_server /bin/metadata_store_server

# The default SQLite database (./data/metadata.sqlite, used when no other database is
# configured) must be writable by the server's user; mount a volume there to keep it.
RUN chmod 0755 /bin/metadata_store_server \
  && mkdir -p /app/data && chown 1000:0 /app/data && chmod 0770 /app/data

# The base image's `node` user (uid 1000), numeric so Kubernetes can verify runAsNonRoot;
# group 0 as in Kubeflow's manifests (OpenShift's arbitrary-uid convention).
USER 1000:0

# gRPC (MetadataStoreService, grpc.health.v1, reflection) and Prometheus GET /metrics.
EXPOSE 8080 9464

# Exec form: node runs as PID 1 and receives SIGTERM itself (graceful shutdown); arguments
# given to the container reach the server (`docker run mlmd-ts --grpc_port=9090 ...`).
ENTRYPOINT ["/bin/metadata_store_server"]
