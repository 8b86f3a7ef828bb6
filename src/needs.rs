//! Dependencies between services (`needs/`), decided without a system call.
//!
//! A service directory may hold `needs/`, a directory of symlinks to the
//! service directories it needs. supervise starts `./run` only once every
//! needed service is up, and ready where it can say so ([`met`]); svscan's
//! orderly shutdown stops a service before the services it needs.
//!
//! A cycle of needs would keep every service in it waiting for ever, and
//! leave no order to stop them in: each cycle is broken at one edge, the
//! same one whoever looks at it ([`cycles`]), so that svscan (which sees
//! every entry's needs) and the supervisors in the cycle (which see the
//! services waiting on each other) agree: the service at the broken edge
//! starts without waiting for the service it needs there, and that service
//! stops without waiting for it.

use crate::status::Status;
use crate::supervise::Info;
use crate::waiting::Goal;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// A service directory, by device and inode (as svscan keys its entries).
pub use crate::scanner::Key;

/// Whether a needed service lets a start go, as its status and info say:
/// up, and ready where it can say so (`notification-fd`, or the first
/// passing `check`; daemontools' supervise, which writes no info, up is
/// ready), as `svc -wU` judges it.
pub fn met(status: &Status, info: Option<&Info>) -> bool {
    Goal::Ready.reached(status, info, 0)
}

/// How often supervise looks at its needed services while it waits, when
/// nothing wakes it: their supervisors write to its FIFO in their
/// `supervise/event/` at each change, but daemontools' do not.
pub const LOOK: Duration = Duration::from_secs(1);

/// How soon supervise looks again while a needed directory has no
/// supervise (or does not exist): `svc -w`'s pace for as long as svscan
/// may take to start one ([`crate::waiting::APPEAR`]), then [`LOOK`]'s.
pub fn look_again(waited: Duration, absent: bool) -> Duration {
    match absent && waited < crate::waiting::APPEAR {
        true => crate::waiting::APPEAR_POLL,
        false => LOOK,
    }
}

/// A wait this old looks for a cycle among the services waiting on each
/// other, then again after twice as long each time, up to [`CYCLE_MAX`]: a
/// long chain of services coming up one after the other is not looked
/// through by each of them at each start (a look goes through every
/// waiting service behind it).
pub const CYCLE_AFTER: Duration = Duration::from_secs(2);

/// The longest time between two looks for a cycle.
pub const CYCLE_MAX: Duration = Duration::from_secs(64);

/// When a wait begun at `since` looks for a cycle after its look at `last`
/// (None: none yet): [`CYCLE_AFTER`] after its start, then twice as long
/// after each look, at most [`CYCLE_MAX`] apart.
pub fn next_cycle_look(since: Instant, last: Option<Instant>) -> Instant {
    match last {
        None => since + CYCLE_AFTER,
        Some(last) => last + (last.saturating_duration_since(since)).clamp(CYCLE_AFTER, CYCLE_MAX),
    }
}

/// A cycle of needs: each service needs the next, the last the first.
/// It is broken at its last edge: the last does not wait for the first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cycle(pub Vec<Key>);

impl Cycle {
    /// The edge ignored: (the service, the need it does not wait for).
    pub fn broken(&self) -> (Key, Key) {
        (*self.0.last().expect("a cycle has a node"), self.0[0])
    }
}

/// What svscan says of a cycle of these services (each needs the next,
/// the last the first), after `svscan: warning: `.
pub fn cycle_text(names: &[&[u8]]) -> Vec<u8> {
    let (first, last) = (names[0], names[names.len() - 1]);
    let path = [&names.join(&b" -> "[..])[..], b" -> ", first].concat();
    let parts: [&[u8]; 13] = [
        b"needs/ make a cycle: ",
        &path,
        b": broken at ",
        last,
        b" -> ",
        first,
        b" (",
        last,
        b" starts without waiting for ",
        first,
        b", which stops without waiting for ",
        last,
        b")",
    ];
    parts.concat()
}

/// The cycles of `graph` (each service's needs), each broken at one edge,
/// so that without those edges none is left. Within each strongly
/// connected part of the graph (more than one service, or one that needs
/// itself), a depth-first walk from its smallest key, needs taken in order
/// of key and only within the part: an edge back to a service on the walk's
/// path closes a cycle, and is the edge broken. The walk and so the edges
/// depend on that part alone, not on what else a looker sees.
pub fn cycles(graph: &BTreeMap<Key, BTreeSet<Key>>) -> Vec<Cycle> {
    let mut out = Vec::new();
    for part in parts(graph) {
        let first = *part.iter().next().expect("a part has a node");
        let alone = part.len() == 1 && !graph.get(&first).is_some_and(|n| n.contains(&first));
        if !alone {
            walk(graph, &part, first, &mut out);
        }
    }
    out
}

/// The needs of `node` within `part`, in order of key.
fn within<'a>(graph: &'a BTreeMap<Key, BTreeSet<Key>>, part: &'a BTreeSet<Key>, node: Key) -> Vec<Key> {
    graph.get(&node).map_or(Vec::new(), |n| n.iter().filter(|k| part.contains(k)).copied().collect())
}

/// The depth-first walk of one part from `first`, without recursion (a
/// chain of thousands of services is one deep walk).
fn walk(graph: &BTreeMap<Key, BTreeSet<Key>>, part: &BTreeSet<Key>, first: Key, out: &mut Vec<Cycle>) {
    let mut seen = BTreeSet::from([first]);
    let mut path = vec![first];
    // Where each service on the path is on it.
    let mut on_path = BTreeMap::from([(first, 0usize)]);
    let mut next = vec![(within(graph, part, first), 0usize)];
    while let Some((needs, i)) = next.last_mut() {
        let Some(&need) = needs.get(*i) else {
            next.pop();
            path.pop().map(|k| on_path.remove(&k));
            continue;
        };
        *i += 1;
        if let Some(&at) = on_path.get(&need) {
            out.push(Cycle(path[at..].to_vec()));
        } else if seen.insert(need) {
            on_path.insert(need, path.len());
            path.push(need);
            next.push((within(graph, part, need), 0));
        }
    }
}

/// The strongly connected parts of `graph` (Tarjan's, without recursion),
/// each as its set of keys; services only needed count as nodes too.
fn parts(graph: &BTreeMap<Key, BTreeSet<Key>>) -> Vec<BTreeSet<Key>> {
    let nodes: BTreeSet<Key> = graph.iter().flat_map(|(k, n)| std::iter::once(*k).chain(n.iter().copied())).collect();
    let needs = |k: &Key| graph.get(k).map_or(Vec::new(), |n| n.iter().copied().collect::<Vec<_>>());
    let (mut index, mut low) = (BTreeMap::<Key, usize>::new(), BTreeMap::<Key, usize>::new());
    let (mut stack, mut on_stack) = (Vec::new(), BTreeSet::new());
    let mut out = Vec::new();
    for &root in &nodes {
        if index.contains_key(&root) {
            continue;
        }
        let mut calls = vec![(root, needs(&root), 0usize)];
        index.insert(root, index.len());
        low.insert(root, index[&root]);
        stack.push(root);
        on_stack.insert(root);
        while let Some((node, node_needs, i)) = calls.last_mut() {
            let node = *node;
            if let Some(&need) = node_needs.get(*i) {
                *i += 1;
                if !index.contains_key(&need) {
                    index.insert(need, index.len());
                    low.insert(need, index[&need]);
                    stack.push(need);
                    on_stack.insert(need);
                    calls.push((need, needs(&need), 0));
                } else if on_stack.contains(&need) {
                    low.insert(node, low[&node].min(index[&need]));
                }
                continue;
            }
            calls.pop();
            if let Some((parent, ..)) = calls.last() {
                low.insert(*parent, low[parent].min(low[&node]));
            }
            if low[&node] == index[&node] {
                let mut part = BTreeSet::new();
                while let Some(k) = stack.pop() {
                    on_stack.remove(&k);
                    part.insert(k);
                    if k == node {
                        break;
                    }
                }
                out.push(part);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Want;
    use crate::tai64::{Tai64, Tai64N};

    fn k(n: u64) -> Key {
        (1, n)
    }

    fn graph(edges: &[(u64, u64)]) -> BTreeMap<Key, BTreeSet<Key>> {
        let mut g: BTreeMap<Key, BTreeSet<Key>> = BTreeMap::new();
        for &(a, b) in edges {
            g.entry(k(a)).or_default().insert(k(b));
        }
        g
    }

    fn cycles_of(edges: &[(u64, u64)]) -> Vec<Vec<u64>> {
        cycles(&graph(edges)).into_iter().map(|c| c.0.into_iter().map(|k| k.1).collect()).collect()
    }

    #[test]
    fn no_cycle_in_a_chain_a_star_or_a_diamond() {
        assert!(cycles_of(&[(2, 1), (3, 2), (4, 3)]).is_empty());
        assert!(cycles_of(&[(2, 1), (3, 1), (4, 1)]).is_empty());
        assert!(cycles_of(&[(4, 2), (4, 3), (2, 1), (3, 1)]).is_empty());
        assert!(cycles(&BTreeMap::new()).is_empty());
    }

    #[test]
    fn a_cycle_is_broken_at_the_edge_back_to_its_smallest_service() {
        // 1 needs 2, 2 needs 1: 2 does not wait for 1, so 1 starts after 2.
        let c = cycles(&graph(&[(1, 2), (2, 1)]));
        assert_eq!(c, [Cycle(vec![k(1), k(2)])]);
        assert_eq!(c[0].broken(), (k(2), k(1)));
        // Whatever order the edges come in, and from wherever it is entered.
        assert_eq!(cycles_of(&[(3, 1), (2, 3), (1, 2), (4, 3)]), [[1, 2, 3]]);
        assert_eq!(cycles_of(&[(9, 5), (5, 7), (7, 9)]), [[5, 7, 9]]);
        // A service that needs itself.
        assert_eq!(cycles_of(&[(4, 4), (5, 4)]), [[4]]);
    }

    #[test]
    fn every_cycle_of_a_knot_is_broken_and_none_is_left() {
        // Two cycles through 1, and 2 <-> 3.
        let edges = [(1, 2), (2, 1), (2, 3), (3, 2), (3, 1)];
        let found = cycles(&graph(&edges));
        let mut g = graph(&edges);
        for c in &found {
            let (from, to) = c.broken();
            g.get_mut(&from).unwrap().remove(&to);
        }
        assert!(cycles(&g).is_empty(), "{found:?} leave a cycle");
        // Each named cycle is one: each needs the next, the last the first.
        for c in &found {
            for (i, a) in c.0.iter().enumerate() {
                let b = c.0[(i + 1) % c.0.len()];
                assert!(graph(&edges)[a].contains(&b), "{c:?}");
            }
        }
    }

    #[test]
    fn a_chain_of_ten_thousand_is_walked_without_recursion() {
        let mut edges: Vec<(u64, u64)> = (1..10_000).map(|n| (n + 1, n)).collect();
        assert!(cycles_of(&edges).is_empty());
        edges.push((1, 10_000));
        let found = cycles_of(&edges);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].len(), 10_000);
        assert_eq!((found[0][0], found[0][1], found[0][9_999]), (1, 10_000, 2));
    }

    #[test]
    fn a_cycle_is_said_as_a_path_and_its_broken_edge() {
        let text = cycle_text(&[b"app", b"db"]);
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "needs/ make a cycle: app -> db -> app: broken at db -> app \
             (db starts without waiting for app, which stops without waiting for db)"
        );
        let text = String::from_utf8(cycle_text(&[b"x"])).unwrap();
        assert!(text.starts_with("needs/ make a cycle: x -> x: broken at x -> x ("), "{text}");
    }

    #[test]
    fn met_is_up_and_ready_where_it_can_say() {
        let t = Tai64N(Tai64(1 << 62), 0);
        let status = |pid| Status { stamp: t, pid, paused: false, want: Want::Up };
        let info = |pid, ready| Info { pid, ready, ..Info::default() };
        assert!(!met(&status(0), None));
        assert!(met(&status(7), None), "daemontools' supervise: up is all it tells");
        assert!(met(&status(7), Some(&info(7, None))), "no notification-fd: up is ready");
        assert!(!met(&status(7), Some(&info(7, Some(None)))), "not ready yet");
        assert!(met(&status(7), Some(&info(7, Some(Some(t))))));
    }

    #[test]
    fn a_cycle_is_looked_for_after_two_seconds_then_less_and_less_often() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        assert_eq!(next_cycle_look(t0, None), t0 + s(2));
        assert_eq!(next_cycle_look(t0, Some(t0 + s(2))), t0 + s(4));
        assert_eq!(next_cycle_look(t0, Some(t0 + s(4))), t0 + s(8));
        assert_eq!(next_cycle_look(t0, Some(t0 + s(1000))), t0 + s(1064), "64 s apart at most");
    }

    #[test]
    fn absent_needs_are_looked_at_as_svc_w_does_then_once_a_second() {
        use crate::waiting::{APPEAR, APPEAR_POLL};
        assert_eq!(look_again(Duration::ZERO, true), APPEAR_POLL);
        assert_eq!(look_again(APPEAR, true), LOOK);
        assert_eq!(look_again(Duration::ZERO, false), LOOK);
    }
}
