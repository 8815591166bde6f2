"""Language models behind any OpenAI-compatible chat endpoint (llama.cpp, vLLM, ollama, a hosted API).

Importing this package imports nothing; the parts:

- client:  the HTTP client gen-data and the planner share (time limits, retries, JSON mode).
- prompt:  what the planner tells the model: the operation registry and the plan schema.
- answer:  the model's answer checked against the registry like a rule plan, or rejected.
- cache:   answers kept under $SAO_CACHE/planner/, so the same words give the same plan.
- planner: `--planner llm|auto`, and the endpoint from SAO_LLM_URL, SAO_LLM_MODEL, SAO_LLM_KEY_ENV.

Nothing here runs unless the user names an endpoint; `--planner rules` never imports it.
"""
