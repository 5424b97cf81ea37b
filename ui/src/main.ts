import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';

// Marks on the page's clock: lifeline-bench-desktop reads them to split the start.
performance.mark('lifeline:script');

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app');
const app = mount(App, { target });
performance.mark('lifeline:mounted');
export default app;
