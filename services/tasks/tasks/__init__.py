"""The tasks service: customers, contacts, invoices, payments, tasks, actions and the timeline."""
