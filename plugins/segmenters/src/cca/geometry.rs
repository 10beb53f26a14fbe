//! Boxes by their edges and a union-find: what grouping components needs.

use workbench_vision::Component;

/// Union-find with path halving.
pub(super) struct Sets(Vec<usize>);

impl Sets {
    pub(super) fn new(n: usize) -> Sets {
        Sets((0..n).collect())
    }
    pub(super) fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }
    pub(super) fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b)] = a.min(b);
        }
    }
}

/// A box by its edges, `[x0, x1) × [y0, y1)`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Bounds {
    pub(super) x0: u32,
    pub(super) y0: u32,
    pub(super) x1: u32,
    pub(super) y1: u32,
}

impl Bounds {
    pub(super) fn of(c: &Component) -> Bounds {
        Bounds {
            x0: c.x,
            y0: c.y,
            x1: c.x + c.w,
            y1: c.y + c.h,
        }
    }
    pub(super) fn join(self, o: Bounds) -> Bounds {
        Bounds {
            x0: self.x0.min(o.x0),
            y0: self.y0.min(o.y0),
            x1: self.x1.max(o.x1),
            y1: self.y1.max(o.y1),
        }
    }
    pub(super) fn grow(self, m: u32) -> Bounds {
        Bounds {
            x0: self.x0.saturating_sub(m),
            y0: self.y0.saturating_sub(m),
            x1: self.x1 + m,
            y1: self.y1 + m,
        }
    }
    pub(super) fn touches(&self, o: &Bounds) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }
    pub(super) fn w(&self) -> u32 {
        self.x1 - self.x0
    }
    pub(super) fn h(&self) -> u32 {
        self.y1 - self.y0
    }
    pub(super) fn area(&self) -> u64 {
        self.w() as u64 * self.h() as u64
    }
    pub(super) fn cx(&self) -> f64 {
        (self.x0 + self.x1) as f64 / 2.0
    }
    pub(super) fn contains_center(&self, o: &Bounds) -> bool {
        let (cx, cy) = ((o.x0 + o.x1) / 2, (o.y0 + o.y1) / 2);
        cx >= self.x0 && cx < self.x1 && cy >= self.y0 && cy < self.y1
    }
}
