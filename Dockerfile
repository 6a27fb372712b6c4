FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gis311 gis311
COPY registry registry
COPY boundaries boundaries
COPY tiles tiles
COPY importers importers
RUN pip install --no-cache-dir .
EXPOSE 8311
CMD ["gis311", "serve"]
