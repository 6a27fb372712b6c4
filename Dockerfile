# MapLibre GL JS for the map page, pinned by package-lock.json.
FROM node:20-slim AS web
WORKDIR /web
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md catalog.example.yaml ./
COPY gis311 gis311
COPY registry registry
COPY boundaries boundaries
COPY tiles tiles
COPY importers importers
RUN pip install --no-cache-dir .
# Served by /map from the working directory's node_modules.
COPY --from=web /web/node_modules/maplibre-gl/dist node_modules/maplibre-gl/dist
EXPOSE 8311
CMD ["gis311", "serve"]
