//! `settle bench bare` (hidden): the yardstick `settle bench keys` holds the console to. The
//! smallest ratatui app a person could write for the same screen: ratatui's own `init`, a
//! bordered table of a dispute queue's width and length from fixed text, a highlighted row that
//! ↑/↓ move, blocking key reads, and a synchronized update around each frame as the console
//! writes. No store, no clocks, no chrome.

use crossterm::event::{self, Event, KeyCode, KeyEventKind};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use ratatui::layout::Constraint;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Block, Row, Table, TableState};

/// Runs until `q` or `esc`.
pub fn run() -> anyhow::Result<()> {
    let mut terminal = ratatui::try_init()?;
    let rows: Vec<Row> = (0..200)
        .map(|n| {
            Row::new(vec![
                format!("D-{:06}", 1000 + n),
                format!("Customer number {n} Holdings"),
                format!("INV-{:07}", 50_000 + n * 7),
                "pricing".to_string(),
                "investigating".to_string(),
                format!("{}.{:02} EUR", 1_000 + n * 13, n % 100),
                format!("{}h{:02}m", n % 40, n % 60),
                format!("{}d{}h", n % 5, n % 24),
                "Ava Lead".to_string(),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(9),
        Constraint::Length(28),
        Constraint::Length(11),
        Constraint::Length(10),
        Constraint::Length(14),
        Constraint::Length(14),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Fill(1),
    ];
    let table = Table::new(rows, widths)
        .header(Row::new(vec![
            "Dispute", "Customer", "Invoice", "Category", "State", "Amount", "Response", "Resolve",
            "Owner",
        ]))
        .block(Block::bordered().title(" Disputes "))
        .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED))
        .highlight_symbol("▶ ");
    let mut state = TableState::default().with_selected(0);
    let result = (|| -> anyhow::Result<()> {
        loop {
            crossterm::execute!(std::io::stdout(), BeginSynchronizedUpdate)?;
            terminal.draw(|f| f.render_stateful_widget(&table, f.area(), &mut state))?;
            crossterm::execute!(std::io::stdout(), EndSynchronizedUpdate)?;
            loop {
                if let Event::Key(key) = event::read()?
                    && key.kind == KeyEventKind::Press
                {
                    match key.code {
                        KeyCode::Char('q') | KeyCode::Esc => return Ok(()),
                        KeyCode::Down => state.select_next(),
                        KeyCode::Up => state.select_previous(),
                        _ => continue,
                    }
                    break;
                }
            }
        }
    })();
    ratatui::restore();
    result
}
