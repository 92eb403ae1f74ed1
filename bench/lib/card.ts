/** A realistic A2A AgentCard (~1.5 KiB of JSON), the same one for the agentcard and worker rows. */
export function sampleCard(): Record<string, unknown> {
  return {
    protocolVersion: '0.3.0',
    name: 'Invoice reconciliation agent',
    description: 'Matches incoming invoices against purchase orders and flags discrepancies for review.',
    url: 'https://agents.example.org/a2a/v1',
    preferredTransport: 'JSONRPC',
    additionalInterfaces: [
      { url: 'https://agents.example.org/a2a/v1', transport: 'JSONRPC' },
      { url: 'https://agents.example.org/a2a/grpc', transport: 'GRPC' },
    ],
    provider: { organization: 'Example Org', url: 'https://example.org' },
    version: '1.4.2',
    documentationUrl: 'https://docs.example.org/agents/invoices',
    capabilities: { streaming: true, pushNotifications: false, stateTransitionHistory: true },
    defaultInputModes: ['application/json', 'text/plain'],
    defaultOutputModes: ['application/json'],
    skills: [
      {
        id: 'reconcile',
        name: 'Reconcile invoice',
        description: 'Finds the purchase order for an invoice and reports every line that differs — quantity, unit price, tax.',
        tags: ['finance', 'invoices', 'reconciliation'],
        examples: ['Reconcile invoice INV-2024-0042 against PO 7781', 'Which lines of INV-9 do not match?'],
        inputModes: ['application/json'],
        outputModes: ['application/json'],
      },
      {
        id: 'explain',
        name: 'Explain discrepancy',
        description: 'Explains in plain language why a line was flagged, with the figures from both documents.',
        tags: ['finance', 'explanations'],
        examples: ['Why was line 3 of INV-2024-0042 flagged?'],
      },
    ],
    supportsAuthenticatedExtendedCard: false,
  };
}
