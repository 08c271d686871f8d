//! The DAG between steps: an edge from producer to consumer for each data binding, and from the
//! named step to the waiting step for each `run_after`.

use petgraph::Direction;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use super::{Name, Source, Step, StepId};

/// Why one step comes after another.
#[derive(Debug, Clone, PartialEq)]
pub enum EdgeKind {
    /// Data flows: the consumer's `input` reads the producer's `output`.
    Data {
        /// Producer's output.
        output: String,
        /// Consumer's input.
        input: String,
        /// Where the binding is written.
        at: Name,
    },
    /// `run_after`: order without data.
    Order {
        /// Where the `run_after` entry is written.
        at: Name,
    },
}

impl EdgeKind {
    /// Where the edge is written.
    pub fn at(&self) -> &Name {
        match self {
            EdgeKind::Data { at, .. } | EdgeKind::Order { at } => at,
        }
    }
}

/// Steps as nodes (node index = step index), dependencies as edges.
#[derive(Debug, Clone, Default)]
pub struct Dag {
    graph: DiGraph<(), EdgeKind, u32>,
}

impl Dag {
    /// Builds the DAG of `steps`. `run_after` names that match no step are left out (a check
    /// reports them).
    pub fn build(steps: &[Step]) -> Dag {
        let mut graph = DiGraph::with_capacity(steps.len(), steps.len());
        for _ in steps {
            graph.add_node(());
        }
        let by_key: std::collections::HashMap<&str, usize> =
            steps.iter().enumerate().map(|(i, s)| (s.key.as_str(), i)).collect();
        for (consumer, step) in steps.iter().enumerate() {
            for input in &step.inputs {
                if let Source::StepOutput { step: producer, output, at } = &input.source {
                    graph.add_edge(
                        NodeIndex::new(producer.0),
                        NodeIndex::new(consumer),
                        EdgeKind::Data {
                            output: output.clone(),
                            input: input.name.value.clone(),
                            at: at.clone(),
                        },
                    );
                }
            }
            for name in &step.run_after {
                if let Some(&before) = by_key.get(name.as_str()) {
                    graph.add_edge(
                        NodeIndex::new(before),
                        NodeIndex::new(consumer),
                        EdgeKind::Order { at: name.clone() },
                    );
                }
            }
        }
        Dag { graph }
    }

    /// Steps this step waits for (each once).
    pub fn dependencies(&self, step: StepId) -> Vec<StepId> {
        self.neighbours(step, Direction::Incoming)
    }

    /// Steps waiting for this step (each once).
    pub fn dependents(&self, step: StepId) -> Vec<StepId> {
        self.neighbours(step, Direction::Outgoing)
    }

    fn neighbours(&self, step: StepId, dir: Direction) -> Vec<StepId> {
        let mut out: Vec<StepId> =
            self.graph.neighbors_directed(NodeIndex::new(step.0), dir).map(|n| StepId(n.index())).collect();
        out.sort();
        out.dedup();
        out
    }

    /// Edges into `step`: (producer, why).
    pub fn incoming(&self, step: StepId) -> impl Iterator<Item = (StepId, &EdgeKind)> {
        self.graph
            .edges_directed(NodeIndex::new(step.0), Direction::Incoming)
            .map(|e| (StepId(e.source().index()), e.weight()))
    }

    /// Every cycle, one per strongly connected component, as the steps in order and the edge
    /// that leads from each to the next.
    pub fn cycles(&self) -> Vec<Vec<(StepId, EdgeKind)>> {
        let mut cycles = Vec::new();
        for scc in tarjan_scc(&self.graph) {
            let self_loop = scc.len() == 1 && self.graph.find_edge(scc[0], scc[0]).is_some();
            if scc.len() < 2 && !self_loop {
                continue;
            }
            let mut members: Vec<NodeIndex> = scc.clone();
            members.sort();
            if let Some(cycle) = self.cycle_through(members[0], &members) {
                cycles.push(cycle);
            }
        }
        cycles.sort_by_key(|c| c.first().map(|(s, _)| *s));
        cycles
    }

    /// A shortest cycle from `start` back to itself inside `members` (breadth-first).
    fn cycle_through(&self, start: NodeIndex, members: &[NodeIndex]) -> Option<Vec<(StepId, EdgeKind)>> {
        use std::collections::{HashMap, VecDeque};
        let mut came_from: HashMap<NodeIndex, (NodeIndex, petgraph::graph::EdgeIndex)> = HashMap::new();
        let mut queue = VecDeque::from([start]);
        let mut end_edge = None;
        'search: while let Some(n) = queue.pop_front() {
            let mut edges: Vec<_> = self.graph.edges_directed(n, Direction::Outgoing).collect();
            edges.sort_by_key(|e| e.target());
            for e in edges {
                let t = e.target();
                if t == start {
                    end_edge = Some((n, e.id()));
                    break 'search;
                }
                if members.binary_search(&t).is_ok() && !came_from.contains_key(&t) {
                    came_from.insert(t, (n, e.id()));
                    queue.push_back(t);
                }
            }
        }
        let (mut node, last_edge) = end_edge?;
        let mut path = vec![(StepId(node.index()), self.graph[last_edge].clone())];
        while node != start {
            let (prev, edge) = came_from.get(&node).copied()?;
            path.push((StepId(prev.index()), self.graph[edge].clone()));
            node = prev;
        }
        path.reverse();
        Some(path)
    }

    /// Steps grouped into levels that may run at once: each step's level is one more than its
    /// deepest dependency. `None` when the graph has a cycle.
    pub fn levels(&self) -> Option<Vec<Vec<StepId>>> {
        let order = petgraph::algo::toposort(&self.graph, None).ok()?;
        let mut level = vec![0usize; self.graph.node_count()];
        for n in &order {
            let l = self
                .graph
                .neighbors_directed(*n, Direction::Incoming)
                .map(|p| level[p.index()] + 1)
                .max()
                .unwrap_or(0);
            level[n.index()] = l;
        }
        let depth = level.iter().copied().max().map_or(0, |m| m + 1);
        let mut levels = vec![Vec::new(); depth];
        for (i, l) in level.iter().enumerate() {
            levels[*l].push(StepId(i));
        }
        Some(levels)
    }

    /// Steps in an order where each comes after its dependencies (`None` on a cycle).
    pub fn topological_order(&self) -> Option<Vec<StepId>> {
        self.levels().map(|ls| ls.into_iter().flatten().collect())
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// Every edge: (producer, consumer, why).
    pub fn edges(&self) -> impl Iterator<Item = (StepId, StepId, &EdgeKind)> {
        self.graph
            .edge_references()
            .map(|e| (StepId(e.source().index()), StepId(e.target().index()), e.weight()))
    }
}
