# The EdgeBase REST server as one static musl binary on Alpine: no Node, no glibc, no workerd.
#   docker build -t edgebase-native .
#   docker run -p 8787:8787 -v edgebase-data:/data -e SERVICE_KEY=... edgebase-native
# Config: -e EDGEBASE_CONFIG='{"kv":{...}}', or mount a file and add `--config /config/edgebase.json`.

FROM rust:1-alpine AS build
RUN apk add --no-cache build-base
WORKDIR /src
COPY . .
# The `dist` profile: LTO, one codegen unit, stripped. Only the server's dependency graph is built.
RUN cargo build --locked --profile dist -p edgebase-server --bin edgebase-native \
 && ./target/dist/edgebase-native --version

FROM alpine:3.22
RUN addgroup -S edgebase && adduser -S -G edgebase -H edgebase \
 && mkdir -p /data /app && chown edgebase:edgebase /data /app
COPY --from=build /src/target/dist/edgebase-native /usr/local/bin/edgebase-native
USER edgebase
WORKDIR /app
ENV HOST=0.0.0.0 PORT=8787 PERSIST_DIR=/data
VOLUME ["/data"]
EXPOSE 8787
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD wget -q -O /dev/null "http://127.0.0.1:${PORT}/api/health" || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["edgebase-native"]
CMD ["serve"]
