import { mount } from 'svelte';
import '../app.css';
import AgentApp from './AgentApp.svelte';
import { tauriAgent } from './backend';

const target = document.getElementById('app');
if (!target) throw new Error('agent.html has no #app');
export default mount(AgentApp, { target, props: { agent: tauriAgent } });
