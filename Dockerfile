# syntax=docker/dockerfile:1
#
# One image for both processes of the Event-API:
#   API (default):  node dist/apps/api/src/main.js      (listens on PORT, default 3000)
#   worker:         node dist/apps/worker/src/main.js   (WORKER_PORT 3001, health/metrics)
# docker-compose.yml runs both from this image.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: install everything, compile, then drop dev dependencies -------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# Dependencies first, so source edits do not invalidate the npm ci layer.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY tsconfig*.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: production dependencies and compiled output only ------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app

# Owned by root and read-only for the app user: the processes never write to /app.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist

USER node
EXPOSE 3000 3001

# Exec form: node is PID 1 and receives SIGTERM directly (both apps enable Nest shutdown hooks).
CMD ["node", "dist/apps/api/src/main.js"]
