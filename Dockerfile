# parley in a container: builds with the project's own install script (the build packages
# only: no test packages), runs `parley serve`.
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
# Healthy when /readyz answers 200 (flows loaded, database writable, schema current): the
# address from PARLEY_LISTEN, a Host header ALLOWED_HOSTS accepts. No shell involved (dash has
# no /dev/tcp).
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s CMD ["parley", "healthcheck"]
ENTRYPOINT ["parley"]
# `serve` migrates an empty or older database itself (--no-migrate refuses instead).
CMD ["serve"]
