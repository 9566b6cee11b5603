# The Moisson image used by compose.yaml for the API and the scheduler.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /opt/moisson
COPY pyproject.toml README.md ./
COPY moisson ./moisson
COPY harvester ./harvester
COPY indexer ./indexer
COPY search_api ./search_api
COPY mappings ./mappings
COPY thesaurus ./thesaurus
COPY samples ./samples
# Editable so that mappings/ and thesaurus/ are read from /opt/moisson like in a checkout.
RUN pip install --no-cache-dir -e . \
    && useradd --system --home-dir /var/lib/moisson --create-home moisson
USER moisson
WORKDIR /var/lib/moisson
EXPOSE 8080
CMD ["moisson", "serve", "--host", "0.0.0.0", "--port", "8080"]
