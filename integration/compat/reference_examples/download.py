# The reference's "Downloading the result" Python example, as printed. Mends (printing typos):
# `"x-api-key": "API_KEY".` -> `"x-api-key": "API_KEY"`; `If` -> `if`; the indentation the text lost.
import requests
import json
url = "https://dev.b-key.kz/api/v1/session/result/download/"
headers = {
"x-api-key": "API_KEY"
}
params = {
"session_id": "<session_id>"
}
response = requests.get(url, headers=headers, params=params)
if response.status_code == 200:
    with open("documents.zip", "wb") as file:
        file.write(response.content)
    print("Archive downloaded successfully.")
else:
    print("Error:", response.status_code, response.text)
