"""deploy/ checked with what this machine has (Docker has no daemon here, and systemd is not PID 1): the Dockerfile's
package lists are the Makefile's, those runtime packages hold every library the binary loads, and the systemd unit
passes `systemd-analyze verify` and rates OK in `systemd-analyze security`. integration/scale/test_deploy_proxy.py
runs the compose file's settings and the Caddyfile."""
import re
import shlex
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from qoltanba_server import BINARY, ROOT  # noqa: E402

DEPLOY = ROOT / "deploy"


def makefile_list(name):
    match = re.search(rf"^{name} := (.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, f"{name} is not in the Makefile"
    return match.group(1).split()


def dockerfile_installs():
    """The packages each stage of the Dockerfile installs, by the stage's base image."""
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    stages = {}
    for stage in re.split(r"^FROM ", text, flags=re.MULTILINE)[1:]:
        image = stage.split()[0]
        installs = re.findall(r"apt-get install ((?:(?!&&)[^\n])*)", stage)
        stages[image] = [word for line in installs for word in shlex.split(line) if not word.startswith("-")]
    return stages


def test_the_dockerfile_installs_the_makefiles_packages():
    stages = dockerfile_installs()
    assert list(stages) == ["swift:6.3.1-bookworm", "debian:bookworm-slim"], stages
    assert stages["swift:6.3.1-bookworm"] == makefile_list("BUILD_PACKAGES")
    assert stages["debian:bookworm-slim"] == makefile_list("RUNTIME_PACKAGES")


def installed(package):
    return subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True).stdout.endswith(
        "installed")


def dependencies(package):
    answer = subprocess.run(["dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}", package], capture_output=True, text=True)
    names = set()
    for group in answer.stdout.split(","):
        for alternative in group.split("|"):
            name = alternative.strip().split(" ")[0].split(":")[0]
            if name:
                names.add(name)
    return names


def owner(path):
    """The package holding a library, whichever of /lib and /usr/lib dpkg recorded it under."""
    real = Path(path).resolve()
    for candidate in {str(path), str(real), str(real).removeprefix("/usr"), "/usr" + str(real)}:
        answer = subprocess.run(["dpkg-query", "-S", candidate], capture_output=True, text=True)
        if answer.returncode == 0:
            return answer.stdout.split(":")[0]
    return None


def test_the_runtime_packages_hold_every_library_the_binary_loads():
    """What `ldd` lists for the built binary, but for the Swift runtime (linked in with --static-swift-stdlib), comes
    from RUNTIME_PACKAGES, their dependencies, or the packages every Debian has (priority required)."""
    assert BINARY.exists(), f"{BINARY} is missing: build first (make test does)"
    runtime = makefile_list("RUNTIME_PACKAGES")
    missing = [package for package in runtime if not installed(package)]
    assert not missing, f"not installed here, so not checked: {missing}"
    closure, queue = set(), list(runtime)
    while queue:
        package = queue.pop()
        if package not in closure:
            closure.add(package)
            queue.extend(dependencies(package) - closure)
    libraries = re.findall(r"=> (/\S+)", subprocess.run(["ldd", str(BINARY)], capture_output=True, text=True, check=True).stdout)
    assert libraries
    unowned, outside = [], []
    for library in libraries:
        package = owner(library)
        if package is None:
            # The toolchain's own libraries (libswiftCore, Foundation …) belong to no package.
            if "/swift/" not in library:
                unowned.append(library)
            continue
        priority = subprocess.run(["dpkg-query", "-W", "-f=${Priority}", package], capture_output=True, text=True).stdout
        if package not in closure and priority != "required":
            outside.append((library, package))
    assert not unowned, unowned
    assert not outside, f"libraries the runtime packages do not bring: {outside}"


def unit_with_binary(tmp_path):
    """The unit with its ExecStart pointing at the built binary (verify checks that it is executable)."""
    unit = tmp_path / "qoltanba.service"
    unit.write_text((DEPLOY / "qoltanba.service").read_text().replace("/opt/qoltanba/qoltanba", str(BINARY.resolve())))
    return unit


def test_the_systemd_unit_verifies_and_is_well_sandboxed(tmp_path):
    assert BINARY.exists(), f"{BINARY} is missing: build first (make test does)"
    unit = unit_with_binary(tmp_path)
    verified = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0 and not verified.stderr.strip(), verified.stderr
    security = subprocess.run(["systemd-analyze", "security", "--offline=true", str(unit)], capture_output=True, text=True,
                              timeout=60)
    exposure = re.search(r"Overall exposure level for qoltanba.service: ([0-9.]+) (\w+)", security.stdout)
    assert exposure, security.stdout[-500:] + security.stderr
    assert float(exposure.group(1)) <= 2.0 and exposure.group(2) == "OK", exposure.group(0)
    # Every secret the server reads reaches it as a credential, not as a variable in the unit.
    text = (DEPLOY / "qoltanba.service").read_text()
    for secret in ("database_url", "master_key", "registry_token", "liveness_token", "face_match_token", "sms_token"):
        assert f"LoadCredential={secret}:" in text and f"_FILE=%d/{secret}" in text, secret

