# Gaia Monitor in a container. Build: docker build -t gaia-monitor .
# Run with compose.yaml (docker compose up -d), or:
#   docker run -d --name gaia --pid=host --restart unless-stopped -v /srv/gaia:/home/gaia gaia-monitor
# --pid=host lets the probe see the host's processes; the volume is the home folder (gaia.yml,
# .private/.env, gaia.db, .tmp/logs), owned by uid 10001 (chown -R 10001:10001 /srv/gaia).
# What a non-root container can and cannot see: README, "Run it on a NAS".

# Pinned by version: a rebuild gets the same Node and Debian; bump it on purpose.
ARG NODE_IMAGE=node:22.20.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 compiles from source.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Dependencies first (cached while only the sources change); `prepare` builds dist/ later.
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3
# .dockerignore keeps node_modules, .private/, gaia.db, .tmp/ and the tests out of the context.
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production GAIA_HOME=/home/gaia
# A user of its own: gaia never runs as root in the container.
RUN groupadd --system --gid 10001 gaia \
  && useradd --system --uid 10001 --gid gaia --home-dir /home/gaia --shell /usr/sbin/nologin gaia \
  && mkdir -p /home/gaia && chown gaia:gaia /home/gaia && chmod 700 /home/gaia
WORKDIR /app
# Production dependencies only (pruned above), the compiled code, and the examples.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json gaia.example.yml ./
COPY .private.example ./.private.example
RUN ln -s /app/dist/cli/gaia.js /usr/local/bin/gaia && chmod 755 /app/dist/cli/gaia.js
USER gaia
VOLUME /home/gaia
WORKDIR /home/gaia
# Asks /healthz at api.listen from gaia.yml (default 127.0.0.1:8787, loopback inside the container).
# Unhealthy: gaia.db fails or the jobs are stuck; a Telegram outage is reported, not unhealthy.
HEALTHCHECK --interval=1m --timeout=10s --start-period=30s --retries=3 \
  CMD ["node", "/app/dist/cli/container-healthcheck.js"]
STOPSIGNAL SIGTERM
# node --v8-pool-size=1: one V8 worker thread, about 11 MB less memory (README, Benchmarks);
# `docker exec gaia gaia status` and `gaia run` use the gaia command linked above.
ENTRYPOINT ["node", "--v8-pool-size=1", "/app/dist/cli/gaia.js"]
CMD ["start"]
