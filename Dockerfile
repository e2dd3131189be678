# syntax=docker/dockerfile:1
# Build stage: install with the native toolchain (sqlite3 and better-sqlite3 compile from source), compile TypeScript.
FROM node:22-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY commands ./commands
RUN npm run build && cp -r src/simulator/assets dist/src/simulator/assets && npm prune --omit=dev

# Runtime stage: ffmpeg for transcoding and frame extraction, no compilers, a non-root user.
FROM node:22-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg fonts-dejavu-core tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    DATA_DIR=/data \
    HTTP_HOST=0.0.0.0 \
    PORT=8080 \
    CONSOLE=off
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node runs directly (through tini as PID 1), never `npm start`: npm does not forward SIGTERM,
# so a graceful shutdown would never happen (field guide §6).
# The heap flags are the `start` script's (package.json; test/deploy.test.ts keeps them equal). A
# 1 GB old-space cap, far above what the bot holds (~32 MB live with 10,000 jobs in flight), makes
# V8 grow the heap 1.6x its live size between full collections instead of 4x, and 4 MB semi-spaces
# commit 8 MB of young generation instead of 32 MB: 10,000 jobs in flight at ~155 MB RSS instead
# of ~250 MB (README "Performance" and "Operations" say how to size it; bench/README.md).
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--max-old-space-size=1024", "--max-semi-space-size=4", "dist/src/main.js"]
