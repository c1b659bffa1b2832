# Builds the spikestream command into a small image. The embedded NATS server is compiled in;
# docker-compose.yml shows it running against a separate nats-server instead.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/spikestream ./cmd/spikestream

FROM gcr.io/distroless/static-debian12
COPY --from=build /out/spikestream /usr/local/bin/spikestream
COPY configs /configs
ENTRYPOINT ["/usr/local/bin/spikestream"]
