# The Moisson image used by compose.yaml for the API and the scheduler.
# Stage 1 builds the wheel; stage 2 installs it (non-editable: the thesaurus, rules and
# samples are package data), so the image holds no source checkout.
# Stage 0 builds the web interface's browser libraries from webui/frontend/package-lock.json
# (scripts/build_frontend.sh: npm ci, then copy into webui/static/vendor).
FROM node:20-slim AS frontend
WORKDIR /src
COPY scripts/build_frontend.sh ./scripts/
COPY webui/frontend/package.json webui/frontend/package-lock.json webui/frontend/world-outline.mjs \
    ./webui/frontend/
RUN bash scripts/build_frontend.sh

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY moisson ./moisson
COPY harvester ./harvester
COPY indexer ./indexer
COPY pipeline ./pipeline
COPY search_api ./search_api
COPY publish ./publish
COPY forge ./forge
COPY webui ./webui
COPY --from=frontend /src/webui/static/vendor ./webui/static/vendor
COPY mappings ./mappings
COPY thesaurus ./thesaurus
COPY samples ./samples
RUN pip wheel --no-cache-dir --no-deps -w /dist .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY --from=build /dist /dist
RUN pip install --no-cache-dir /dist/*.whl && rm -rf /dist \
    && useradd --system --home-dir /var/lib/moisson --create-home moisson
USER moisson
WORKDIR /var/lib/moisson
EXPOSE 8080
CMD ["moisson", "serve", "--host", "0.0.0.0", "--port", "8080"]
