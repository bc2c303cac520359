# parley in a container: builds with the project's own install script, runs the CLI.
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
 && apt-get install -y -qq --no-install-recommends liblua5.4-0 libicu72 libre2-9 graphviz \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/parley /usr/local/bin/parley
COPY examples /usr/share/parley/examples
ENTRYPOINT ["parley"]
CMD ["check", "/usr/share/parley/examples/checkin/checkin.json"]
