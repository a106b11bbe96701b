/// mimalloc instead of the system allocator: the local runtime's hot path allocates a small
/// map per record, and glibc's malloc/free were a third of its time. Chosen here, in the binary,
/// so that the library leaves the choice to whoever embeds it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    pipec::run()
}
