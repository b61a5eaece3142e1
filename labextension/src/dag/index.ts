// The lineage DAG drawing, shared by the JupyterLab renderer and (later) the kernel widget.
export * from './geometry';
export * from './view';
