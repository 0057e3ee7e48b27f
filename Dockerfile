# The Greenlane image: one image for the API (default command), the worker and the migration job
# (docker-compose.yml overrides the command). TypeScript runs through tsx, a runtime dependency:
# there is no build step, and the image holds the sources as they are in the repository.
FROM node:20-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

# Dependencies first, so this layer is rebuilt only when the lock file changes.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Sources stay owned by root and read-only to the process (.dockerignore keeps out tests, tools,
# local data and secrets).
COPY . .

# The node image's unprivileged user (uid 1000). tsx writes its cache under /tmp only.
USER node

EXPOSE 3000

# API by default; the worker runs `node --import tsx worker.ts`, the migration job
# `node --import tsx db/migrate.ts`.
CMD ["node", "--import", "tsx", "api/server.ts"]
