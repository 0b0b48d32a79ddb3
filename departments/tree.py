"""Pure helpers over a department tree given as a parent map {id: parent_id}.

Both the models (cycle checks, path upkeep) and the selectors use them, so they live apart from
both. A department tree is small (tens to a few hundred rows): one query fetches the whole map and
everything else is walked in Python, so the number of queries never depends on the tree's depth.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping


def children_map(parent_map: Mapping[int, int | None]) -> dict[int | None, list[int]]:
    """{parent_id: [child ids in ascending id order]}; roots sit under the key None."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for node_id in sorted(parent_map):
        children[parent_map[node_id]].append(node_id)
    return children


def subtree_ids(root_id: int, parent_map: Mapping[int, int | None]) -> list[int]:
    """`root_id` and all its descendants, breadth first (root first). [] if the root is unknown."""
    if root_id not in parent_map:
        return []
    children = children_map(parent_map)
    result: list[int] = []
    seen: set[int] = set()
    queue = [root_id]
    while queue:
        node_id = queue.pop(0)
        if node_id in seen:  # only possible if the stored data has a cycle; never loop forever
            continue
        seen.add(node_id)
        result.append(node_id)
        queue.extend(children.get(node_id, ()))
    return result


def ancestor_ids(node_id: int | None, parent_map: Mapping[int, int | None]) -> list[int]:
    """`node_id` and the ids above it up to the root, nearest first."""
    result: list[int] = []
    seen: set[int] = set()
    while node_id is not None and node_id not in seen:
        seen.add(node_id)
        result.append(node_id)
        node_id = parent_map.get(node_id)
    return result


def would_create_cycle(node_id: int | None, new_parent_id: int | None, parent_map: Mapping[int, int | None]) -> bool:
    """True when making `new_parent_id` the parent of `node_id` closes a loop (including itself)."""
    if node_id is None or new_parent_id is None:
        return False  # a node not saved yet has no descendants; a root cannot loop
    return node_id in ancestor_ids(new_parent_id, parent_map)


def descendants_in_order(root_ids: Iterable[int], parent_map: Mapping[int, int | None]) -> list[int]:
    """Depth-first, pre-order ids below and including each of `root_ids`."""
    children = children_map(parent_map)
    result: list[int] = []
    seen: set[int] = set()
    stack = list(reversed(list(root_ids)))
    while stack:
        node_id = stack.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        result.append(node_id)
        stack.extend(reversed(children.get(node_id, ())))
    return result
