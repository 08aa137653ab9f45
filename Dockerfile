# portmismatch as a container: a NativeAOT binary on a chiseled Ubuntu base (no shell, no package manager), run as a
# non-root user. Build and run (see samples/PortMismatch.Cli/README.md, "Container"):
#   docker build -t portmismatch .
#   docker run --rm -p 4739:4739/udp -p 514:514/udp portmismatch listen --ipfix 0.0.0.0:4739 --syslog-udp 0.0.0.0:514 --window 5m --output jsonl
# The image is built for the platform it is built on (linux/amd64 or linux/arm64; with buildx, --platform picks one).
# On x64 the binary targets x86-64-v3 (AVX2, CPUs since about 2013); for older CPUs:
#   docker build --build-arg PUBLISH_ARGS=-p:IlcInstructionSet=x86-64-v2 -t portmismatch .

# The SDK image with the NativeAOT prerequisites (clang, zlib).
FROM mcr.microsoft.com/dotnet/sdk:10.0-noble-aot AS build
ARG TARGETARCH
ARG PUBLISH_ARGS=
WORKDIR /src
COPY . .
RUN rid=linux-$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64) \
 && dotnet publish samples/PortMismatch.Cli/PortMismatch.Cli.csproj -c Release -r "$rid" -p:PublishAot=true $PUBLISH_ARGS -o /out \
 && rm -f /out/*.dbg /out/*.pdb /out/*.xml

# Only what a NativeAOT binary needs (the C library and the like), as user app (uid 1654), plus the time zone database
# for --time-zone and --input-time-zone.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled
COPY --from=build /usr/share/zoneinfo /usr/share/zoneinfo
COPY --from=build /out/portmismatch /usr/local/bin/portmismatch
USER $APP_UID
# IPFIX / NetFlow v9 (--ipfix) and PAN-OS syslog (--syslog-udp, --syslog-tcp, --syslog-tls).
EXPOSE 4739/udp 514/udp 514/tcp 6514/tcp
ENTRYPOINT ["portmismatch"]
