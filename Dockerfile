# Gaia Monitor on Node 22. Build: docker build -t gaia-monitor .
# Run:  docker run -d --name gaia --pid=host -v /srv/gaia:/home/gaia gaia-monitor
#   --pid=host lets the probe see the host's processes; the volume is the home folder
#   (gaia.yml, .private/.env, gaia.db, .tmp/logs).
FROM node:22-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY scripts ./scripts
COPY api ./api
COPY alerts ./alerts
COPY approvals ./approvals
COPY bot ./bot
COPY cli ./cli
COPY config ./config
COPY entities ./entities
COPY jobs ./jobs
COPY migrations ./migrations
COPY monitor ./monitor
COPY queries ./queries
COPY tasks ./tasks
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production GAIA_HOME=/home/gaia
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json gaia.example.yml ./
COPY .private.example ./.private.example
RUN ln -s /app/dist/cli/gaia.js /usr/local/bin/gaia && mkdir -p /home/gaia
VOLUME /home/gaia
WORKDIR /home/gaia
# The local API listens on loopback inside the container; /healthz is what the healthcheck asks.
HEALTHCHECK --interval=1m --timeout=5s CMD node -e "fetch('http://127.0.0.1:8787/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
STOPSIGNAL SIGTERM
ENTRYPOINT ["gaia"]
CMD ["start"]
