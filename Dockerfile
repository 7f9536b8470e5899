# ferry as a container: a static binary (the SQLite driver is pure Go, so
# CGO is off) alone in an empty image with the CA certificates it needs for
# Salesforce and Intercom, running as a non-root user, with the SQLite file
# on a volume.
#
#   docker build -t ferry .
#   docker run -p 8080:8080 -v ferry-data:/data \
#     -e FERRY_SECRET_KEY=… -e FERRY_ADMIN_TOKEN=… -e FERRY_PUBLIC_URL=https://ferry.example.com ferry

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# -trimpath and the VCS stamp (from .git, when the build context has it)
# make `ferry version` name the revision the image was built from.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ferry ./cmd/ferry \
 && mkdir -p /out/data \
 && echo 'ferry:x:65532:65532:ferry:/data:/nonexistent' > /out/passwd \
 && echo 'ferry:x:65532:' > /out/group

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/passwd /etc/passwd
COPY --from=build /out/group /etc/group
COPY --from=build /out/ferry /usr/local/bin/ferry
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV FERRY_DATABASE_URL=/data/ferry.db \
    FERRY_LISTEN=0.0.0.0:8080
VOLUME ["/data"]
EXPOSE 8080
# No curl in the image: the binary checks itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/ferry", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/ferry"]
CMD ["serve"]
