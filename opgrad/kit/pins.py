"""What the kit is built from, pinned by version and hash: nothing unpinned enters the folder.

The Pyodide runtime is npm's ``pyodide`` package (wasm, standard library,
loader, lock file: no packages). Every Python package the browser loads is a
pure-Python wheel from the package index, pinned here by file name and
sha256 (Pyodide's own builds of these have other hashes and are not on any
registry the kit may use), plus opgrad's own wheel, made from the installed
package, and the three JupyterLite wheels the ``kit`` extra installs.
"""

from __future__ import annotations

PYODIDE_VERSION = "314.0.8"
# the integrity npm records for pyodide-314.0.8.tgz (checked again after npm fetches it)
PYODIDE_INTEGRITY = ("sha512-74Wq1kXOC+CCEzAfxuRAO701nAcCMLjf8NrwvWpu8S41dVMXwXmLQ05dYB+F4e46AdnG"
                     "o0oq7YHSVUpHsoarLQ==")
PYODIDE_PYTHON = "3.14"  # the interpreter inside this Pyodide: wheels are chosen for it
# The files of the npm package the page needs (the rest is docs, typings, source maps,
# and the classic-script loader; the kit loads pyodide.mjs as a module).
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
                 "pyodide-lock.json")

# opgrad's runtime dependencies, as the playground loads them
PLAYGROUND_WHEELS = {
    "pluggy-1.6.0-py3-none-any.whl":
        "e920276dd6813095e9377c0bc5566d94c932c33b27a3e3945d8389c374dd4746",
    "typing_extensions-4.15.0-py3-none-any.whl":
        "f0fa19c6845758ab08074a0cfa8b7aecb71c999ca73d62883bc25cc018c4e548",
}

# JupyterLite's Pyodide kernel: IPython, jedi, comm, micropip and what they need.
# ipython 9.10.1: the release nearest Pyodide's 9.12.0 (not on the index) that does
# not require psutil, which has no pure wheel.
LITE_WHEELS = {
    "asttokens-3.0.1-py3-none-any.whl":
        "15a3ebc0f43c2d0a50eeafea25e19046c68398e487b9f1f5b517f7c0f40f976a",
    "comm-0.2.3-py3-none-any.whl":
        "c615d91d75f7f04f095b30d1c1711babd43bdc6419c1be9886a85f2f4e489417",
    "decorator-5.2.1-py3-none-any.whl":
        "d316bb415a2d9e2d2b3abcc4084c6502fc09240e292cd76a76afc106a1c8e04a",
    "executing-2.2.1-py2.py3-none-any.whl":
        "760643d3452b4d777d295bb167ccc74c64a81df23fb5e08eff250c425a4b2017",
    "ipython-9.10.1-py3-none-any.whl":
        "82d18ae9fb9164ded080c71ef92a182ee35ee7db2395f67616034bebb020a232",
    "ipython_pygments_lexers-1.1.1-py3-none-any.whl":
        "a9462224a505ade19a605f71f8fa63c2048833ce50abc86768a0d81d876dc81c",
    "jedi-0.19.2-py2.py3-none-any.whl":
        "a8ef22bde8490f57fe5c7681a3c83cb58874daf72b4784de3cce5b6ef6edb5b9",
    "matplotlib_inline-0.2.1-py3-none-any.whl":
        "d56ce5156ba6085e00a9d54fead6ed29a9c47e215cd1bba2e976ef39f5710a76",
    "micropip-0.11.1-py3-none-any.whl":
        "768de165adb8e66906039d8fec4127a57f522dfdf8e6fbff877a4616941ecfd3",
    "parso-0.8.6-py2.py3-none-any.whl":
        "2c549f800b70a5c4952197248825584cb00f033b29c692671d3bf08bf380baff",
    "prompt_toolkit-3.0.52-py3-none-any.whl":
        "9aac639a3bbd33284347de5ad8d68ecc044b91a762dc39b7c21095fcd6a19955",
    "pure_eval-0.2.3-py3-none-any.whl":
        "1db8e35b67b3d218d818ae653e27f06c3aa420901fa7b081ca98cbedc874e0d0",
    "pygments-2.20.0-py3-none-any.whl":
        "81a9e26dd42fd28a23a2d169d86d7ac03b46e2f8b59ed4698fb4785f946d0176",
    "stack_data-0.6.3-py3-none-any.whl":
        "d5558e0c25a4cb0853cddad3d77da9891a08cb85dd9f9f91b9f8cd66e511e695",
    "traitlets-5.14.3-py3-none-any.whl":
        "b74e89e397b1ed28cc831db7aea759ba6640cb3de13090ca145426688ff1ac4f",
    "wcwidth-0.6.0-py3-none-any.whl":
        "1a3a1e510b553315f8e146c54764f4fb6264ffad731b3d78088cdb1478ffbdad",
}

JUPYTERLITE_VERSION = "0.8.6"  # jupyterlite-core and jupyterlite-pyodide-kernel (the kit extra)
# wheels the kernel extension ships beside its JavaScript (no hash to pin: they come
# with the installed extra; their sha256 goes into the lock file like every other)
KERNEL_WHEELS = ("piplite", "pyodide_kernel", "ipykernel")
# what the kernel imports at start: preloaded from the lock file, so nothing is fetched
LITE_PRELOAD = ("micropip", "piplite", "ipykernel", "comm", "pyodide-kernel", "jedi", "ipython",
                "opgrad")
