# parley in a container: builds with the project's own install script, runs `parley serve`.
FROM debian:12 AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/
RUN ./scripts/install-deps.sh
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPARLEY_TESTS=OFF \
      -DPARLEY_BENCH=OFF \
 && cmake --build /build --target parley

FROM debian:12
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends liblua5.4-0 libicu72 libre2-9 \
      libboost-system1.74.0 libphonenumber8 libsqlite3-0 libpq5 libssl3 libcurl4 libsodium23 graphviz \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/parley --create-home parley
COPY --from=build /build/parley /usr/local/bin/parley
COPY examples /usr/share/parley/examples
COPY flows /usr/share/parley/flows
USER parley
WORKDIR /var/lib/parley
ENV PARLEY_FLOWS=/usr/share/parley/flows \
    PARLEY_LISTEN=0.0.0.0:8000 \
    DATABASE_URL=sqlite:/var/lib/parley/parley.db
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s CMD ["sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/8000 && printf 'GET /readyz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && grep -q ready <&3"]
ENTRYPOINT ["parley"]
CMD ["serve", "--migrate"]
