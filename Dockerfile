# The API image for docker-compose.yml: build once, run the compiled app.
# Node.js 24 (Active LTS): SQLite is its built-in node:sqlite, so no native addon is built
# (better-sqlite3 is the optional driver for Node 20 only).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# patch-package (postinstall) applies these to node_modules
COPY patches patches
# npm workspaces: the offline verifier's own package must be there before npm ci.
COPY libs/audit-verifier/package.json libs/audit-verifier/
RUN npm ci --no-audit --no-fund --omit=optional
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps apps
COPY libs libs
COPY scripts scripts
COPY docs docs
RUN npm run build && npm prune --omit=dev --omit=optional

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/docs docs
COPY package.json ./
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
CMD ["node", "dist/apps/api/src/main.js"]
